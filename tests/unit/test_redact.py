import pytest
from mhc.observability import REDACTED, redact, register_secret


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (
            "GET https://eventsapi.chaturbate.com/events/owner/AbCdEf123456/?timeout=10",
            "AbCdEf123456",
        ),
        ("https://chaturbate.com/statsapi/?username=o&token=s3cr3tT0ken", "s3cr3tT0ken"),
        ("Authorization: Bearer 12|abcdefSECRET", "abcdefSECRET"),
        ("Cookie: statbate_plus_session=sessVALUE42; XSRF-TOKEN=xsrfVALUE42", "sessVALUE42"),
        ("Cookie: statbate_plus_session=sessVALUE42; XSRF-TOKEN=xsrfVALUE42", "xsrfVALUE42"),
        ("postgresql://mhc:pa55word@db.internal:5432/mhc", "pa55word"),
        ("Cookie: cf_clearance=cfVALUE42; remember_web_59ba=remVALUE42", "remVALUE42"),
        ("Cookie: cf_clearance=cfVALUE42; remember_web_59ba=remVALUE42", "cfVALUE42"),
        ("Set-Cookie: remember_web_59ba=remVALUE42; path=/; httponly", "remVALUE42"),
        ("{'x-xsrf-token': 'eyJpdiI6VALUE42=', 'accept': 'json'}", "eyJpdiI6VALUE42"),
        ('{"Cookie": "remember_web_1=remVALUE42"}', "remVALUE42"),
        ("[(b'Set-Cookie', b'remember_web_1=remVALUE42; path=/')]", "remVALUE42"),
    ],
)
def test_known_secret_shapes_are_redacted(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert secret not in cleaned
    assert REDACTED in cleaned


def test_registered_secret_values_are_redacted_anywhere() -> None:
    register_secret("plain-secret-value-9")
    assert redact("oops plain-secret-value-9 leaked") == f"oops {REDACTED} leaked"


def test_events_url_keeps_the_username() -> None:
    assert "/events/owner/" in redact("https://x/events/owner/tok123456/")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://mhc:pa55word@db:5432/mhc", f"postgresql://mhc:{REDACTED}@db:5432/mhc"),
        ("amqp+ssl://u-1:pw@host", f"amqp+ssl://u-1:{REDACTED}@host"),
        ("9p://user:pw@host", f"9p://user:{REDACTED}@host"),  # any scheme, even an odd one
        ("see a.b.c://x and mail a@b.c", "see a.b.c://x and mail a@b.c"),
    ],
)
def test_url_credentials_are_redacted_whatever_the_scheme(text: str, expected: str) -> None:
    # The pattern is anchored on "://" (linear), not on the scheme (quadratic on "a.a.a...")
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    ["no cookie stored: sign in", "the cookie file /x/jar.json is unreadable", "cookies, rotated"],
)
def test_prose_about_cookies_is_left_alone(text: str) -> None:
    assert redact(text) == text
