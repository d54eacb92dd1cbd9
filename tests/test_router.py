"""The router: what a path resolves to, in declaration order, each template matched once a
path, and the last path remembered (one tuple, so threads sharing a router never pair a path
with another's answer)."""

from __future__ import annotations

import threading

from mockserver.core.contracts import default_contracts
from mockserver.core.routing import Operation, PathTemplate, Router
from mockserver.providers import make_providers


def _router() -> Router:
    leyr = make_providers(default_contracts())["leyr"]
    return leyr.router


def test_the_router_answers_each_path_for_itself_however_they_alternate():
    router = _router()
    base = "/api/emrs/{emr}/care-units/cu/appointments/{id}"
    for n in range(200):
        emr, appointment = f"emr{n % 3}", str(7_000_000 + n % 7)
        op, params = router.match("PATCH", base.format(emr=emr, id=appointment))
        assert params == {"emr": emr, "care_unit_id": "cu", "appointment_id": appointment}
        assert op.operation_id == "updateAppointment"
    assert router.params_for("/api/emrs/a/care-units/b/appointments") == {
        "emr": "a",
        "care_unit_id": "b",
    }


def test_threads_sharing_a_router_never_see_another_paths_parameters():
    router = _router()
    wrong: list[tuple[str, dict[str, str]]] = []

    def route(emr: str) -> None:
        path = f"/api/emrs/{emr}/care-units/cu/appointments/1"
        for _ in range(5_000):
            params = router.params_for(path)
            if params.get("emr") != emr:
                wrong.append((emr, params))

    threads = [threading.Thread(target=route, args=(f"emr{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def _op(method: str, path: str, name: str) -> Operation:
    return Operation(name, method, path, name, handler=lambda state, call: None, responses={})


def test_the_router_matches_each_template_once_and_keeps_declaration_order(monkeypatch):
    operations = [
        _op("GET", "/x/{item_id}", "read"),
        _op("GET", "/x/latest", "latest"),
        _op("PATCH", "/x/{item_id}", "change"),
    ]
    router = Router(operations)
    tried: list[str] = []
    match_parts = PathTemplate.match_parts

    def counting(self, parts):  # type: ignore[no-untyped-def]
        tried.append(self.template)
        return match_parts(self, parts)

    monkeypatch.setattr(PathTemplate, "match_parts", counting)
    found = router.resolve("/x/latest")
    assert [op.operation_id for op, _ in found] == ["read", "latest", "change"]
    assert [dict(params) for _, params in found] == [
        {"item_id": "latest"},
        {},
        {"item_id": "latest"},
    ]
    assert sorted(tried) == ["/x/latest", "/x/{item_id}"]  # two templates, two matches
    op, params = router.match("GET", "/x/latest")
    assert op.operation_id == "read" and params == {"item_id": "latest"}  # the first declared
    assert router.match("PATCH", "/x/7")[0].operation_id == "change"
