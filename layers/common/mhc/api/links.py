"""OpenAPI links: how one operation's answer feeds the next (a lookup's person -> their page,
a started session -> its detail, a page -> the next page).

They document the API's natural flows for clients, and they are what a stateful fuzzer
(schemathesis, `make fuzz`) follows to chain calls the way the owner does. Declared here in one
table by method and path; `add_links` resolves each target's operationId in the built document
and fails loudly when a route it names no longer exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PERSON = "/api/persons/{person_id}"
SESSION = "/api/sessions/{session_id}"
JOB = "/api/jobs/{name}"


@dataclass(frozen=True)
class Link:
    name: str
    target: tuple[str, str]
    parameters: dict[str, str]
    description: str = ""


def _person_links(expression: str, what: str) -> list[Link]:
    """Every operation on one person, its id read from `expression`."""
    person = {"person_id": expression}
    return [
        Link("person", ("get", PERSON), person, f"{what}: the person's page"),
        Link("interactions", ("get", f"{PERSON}/interactions"), person, f"{what}: their history"),
        Link("snapshots", ("get", f"{PERSON}/snapshots"), person, f"{what}: their stats"),
        Link("note", ("post", f"{PERSON}/notes"), person, f"{what}: add a note"),
        Link("attribute", ("put", f"{PERSON}/attributes/{{key}}"), person, f"{what}: remember"),
        Link("alias", ("post", f"{PERSON}/aliases"), person, f"{what}: record a past name"),
        Link("change", ("patch", PERSON), person, f"{what}: role or exclusion"),
        Link(
            "watch",
            ("put", "/api/watchlists/{watchlist_id}/members/{person_id}"),
            person,
            f"{what}: add to a watchlist",
        ),
    ]


def _session_links(expression: str) -> list[Link]:
    session = {"session_id": expression}
    return [
        Link("session", ("get", SESSION), session, "the session's detail"),
        Link("delete", ("delete", SESSION), session, "delete it (a manual session only)"),
    ]


def _job_links(expression: str) -> list[Link]:
    job = {"name": expression}
    return [
        Link("job", ("get", JOB), job, "the job"),
        Link("change", ("patch", JOB), job, "change its settings"),
        Link("run", ("post", f"{JOB}/run"), job, "run it now"),
    ]


#: (method, path, status) of the answer -> the links it offers.
LINKS: dict[tuple[str, str, str], list[Link]] = {
    ("post", "/api/lookup", "200"): _person_links("$response.body#/person/id", "the person found"),
    ("get", "/api/persons", "200"): _person_links("$response.body#/0/id", "the first match"),
    ("patch", PERSON, "200"): _person_links("$response.body#/id", "the person"),
    ("post", f"{PERSON}/aliases", "201"): _person_links("$response.body#/id", "the person"),
    ("post", f"{PERSON}/notes", "201"): _person_links(
        "$response.body#/interaction/person_id", "the note's person"
    ),
    ("get", f"{PERSON}/interactions", "200"): [
        Link(
            "next_page",
            ("get", f"{PERSON}/interactions"),
            {"person_id": "$request.path.person_id", "cursor": "$response.body#/next_cursor"},
            "the next (older) page",
        ),
    ],
    ("get", "/api/search", "200"): [
        Link(
            "next_page",
            ("get", "/api/search"),
            {"q": "$request.query.q", "cursor": "$response.body#/next_cursor"},
            "the next (older) page",
        ),
        *_person_links("$response.body#/items/0/person_id", "the first match's person")[:2],
    ],
    ("post", "/api/sessions/start", "200"): _session_links("$response.body#/session/id"),
    ("post", "/api/sessions/end", "200"): _session_links("$response.body#/session/id"),
    ("get", "/api/sessions/current", "200"): _session_links("$response.body#/session/id"),
    ("get", "/api/sessions", "200"): _session_links("$response.body#/0/id"),
    ("get", SESSION, "200"): [
        Link(
            "next_page",
            ("get", SESSION),
            {
                "session_id": "$request.path.session_id",
                "cursor": "$response.body#/interactions/next_cursor",
            },
            "the next (older) page of its interactions",
        ),
    ],
    ("get", "/api/watchlists", "200"): [
        Link(
            "members",
            ("get", "/api/watchlists/{watchlist_id}/members"),
            {"watchlist_id": "$response.body#/0/id"},
            "the first list's members",
        ),
    ],
    ("put", "/api/watchlists/{watchlist_id}/members/{person_id}", "200"): [
        Link(
            "members",
            ("get", "/api/watchlists/{watchlist_id}/members"),
            {"watchlist_id": "$response.body#/watchlist_id"},
            "the list's members",
        ),
        Link(
            "remove",
            ("delete", "/api/watchlists/{watchlist_id}/members/{person_id}"),
            {
                "watchlist_id": "$response.body#/watchlist_id",
                "person_id": "$response.body#/person_id",
            },
            "take the person off the list again",
        ),
    ],
    ("get", "/api/jobs", "200"): _job_links("$response.body#/0/job/name"),
    ("patch", JOB, "200"): _job_links("$response.body#/job/name"),
    ("post", f"{JOB}/run", "202"): _job_links("$response.body#/job/name"),
}


def add_links(schema: dict[str, Any]) -> None:
    """Put `LINKS` into a built OpenAPI document (in place)."""
    paths: dict[str, Any] = schema["paths"]

    def operation(method: str, path: str) -> dict[str, Any]:
        found = paths.get(path, {}).get(method)
        if found is None:
            raise LookupError(f"OpenAPI link names an unknown operation: {method.upper()} {path}")
        return found  # type: ignore[no-any-return]

    for (method, path, status), links in LINKS.items():
        response = operation(method, path)["responses"][status]
        response["links"] = {
            link.name: {
                "operationId": operation(*link.target)["operationId"],
                "parameters": link.parameters,
                "description": link.description,
            }
            for link in links
        }
