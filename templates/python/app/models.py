"""The API's request and response bodies, as `openapi.yaml` describes them
(`components/schemas`): keep the two in step."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

from app.text import trim_spaces

MAX_TODO_CHARS = 500
"""The longest TODO text accepted, in characters (after trimming)."""


class Todo(BaseModel):
    """One TODO item."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Stable and unique: deleting by id never hits the wrong item."""
    todo: str
    """The text."""


class TodoList(BaseModel):
    """`listTodos` answers with this."""

    todos: list[Todo]
    """The items, oldest first."""


def todo_text(text: str) -> str:
    """A TODO text trimmed of `app.text.SPACES`; refused (`ValueError`) if nothing is left or
    more than `MAX_TODO_CHARS` characters (code points, as JSON Schema counts) are."""
    trimmed = trim_spaces(text)
    if not trimmed:
        raise ValueError("`todo` must not be empty")
    if len(trimmed) > MAX_TODO_CHARS:
        raise ValueError(
            f"`todo` must be at most {MAX_TODO_CHARS} characters (it has {len(trimmed)})"
        )
    return trimmed


class NewTodo(BaseModel):
    """`addTodo` takes this. The text is trimmed, then must hold 1 to 500 characters."""

    todo: Annotated[str, AfterValidator(todo_text)]
    """The text of the new item."""


class Error(BaseModel):
    """Every error answer."""

    error: str
    """What went wrong."""
