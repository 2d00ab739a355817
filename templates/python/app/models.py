"""The API's request and response bodies, as `openapi.yaml` describes them
(`components/schemas`): keep the two in step."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

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


class NewTodo(BaseModel):
    """`addTodo` takes this. The text is trimmed, then must hold 1 to 500 characters."""

    todo: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TODO_CHARS)
    ]
    """The text of the new item."""


class Error(BaseModel):
    """Every error answer."""

    error: str
    """What went wrong."""
