"""The documents follow `PUBLIC_URL`."""

from app.documents import DEFAULT_ORIGIN, Documents, rebase


def test_rebase_moves_only_the_default_origin() -> None:
    text = f"{DEFAULT_ORIGIN}/a {DEFAULT_ORIGIN}7/b {DEFAULT_ORIGIN}"
    assert rebase(text, "https://x.dev") == f"https://x.dev/a {DEFAULT_ORIGIN}7/b https://x.dev"


def test_every_document_follows_the_public_url() -> None:
    documents = Documents.load("https://todo.example.com")
    assert DEFAULT_ORIGIN not in documents.manifest
    assert DEFAULT_ORIGIN not in documents.spec
    assert 'url: "https://todo.example.com"' in documents.spec
