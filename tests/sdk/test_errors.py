"""HTTP statuses map to exception classes carrying the parsed error body."""

from __future__ import annotations

import pytest

import omneo
from omneo import Omneo

from .conftest import Reply, ScriptedServer

CASES = [
    (400, omneo.BadRequestError),
    (401, omneo.AuthenticationError),
    (403, omneo.PermissionDeniedError),
    (404, omneo.NotFoundError),
    (405, omneo.MethodNotAllowedError),
    (409, omneo.ConflictError),
    (413, omneo.PayloadTooLargeError),
    (418, omneo.APIStatusError),
    (422, omneo.ValidationError),
    (429, omneo.RateLimitError),
    (500, omneo.InternalServerError),
    (502, omneo.InternalServerError),
    (503, omneo.InternalServerError),
]


@pytest.mark.parametrize(("status", "cls"), CASES)
def test_status_maps_to_exception(stub: ScriptedServer, client: Omneo, status: int, cls: type[Exception]) -> None:
    client.max_retries = 0
    stub.script = [Reply(status, {"message": f"failed {status}"})]
    with pytest.raises(cls) as info:
        client.brands.get(1)
    err = info.value
    assert isinstance(err, omneo.APIStatusError)
    assert isinstance(err, omneo.APIError)
    assert isinstance(err, omneo.OmneoError)
    assert err.status_code == status
    assert err.message == f"failed {status}"
    assert err.body == {"message": f"failed {status}"}
    assert err.response.status_code == status
    assert type(err) is cls


def test_validation_error_carries_field_errors(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [
        Reply(
            422,
            {"message": "The given data was invalid.", "errors": {"email": ["The email has already been taken."]}},
        )
    ]
    with pytest.raises(omneo.ValidationError) as info:
        client.profiles.create({"email": "a@b.co", "first_name": "A", "last_name": "B"})
    assert info.value.errors == {"email": ["The email has already been taken."]}
    assert info.value.message == "The given data was invalid."
    assert len(stub.requests) == 1


def test_non_json_error_body_is_kept_as_text(stub: ScriptedServer, client: Omneo) -> None:
    stub.script = [Reply(404, raw=b"<html>nope</html>", headers={"Content-Type": "text/html"})]
    with pytest.raises(omneo.NotFoundError) as info:
        client.call("GET", "/nowhere")
    assert info.value.body == "<html>nope</html>"
    assert info.value.message == "HTTP 404 Not Found"
    assert "404" in str(info.value)
