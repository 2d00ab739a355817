"""A ChatGPT plugin and GPT Action: a TODO API plus the manifest, spec and logo the plugin host
reads. `app.main.create_app` builds the whole service; `python -m app` serves it."""
