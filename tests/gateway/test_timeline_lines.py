"""A timeline's entries as the pages show them."""

from services.gateway.web.deals.timeline import Names, _line


def test_a_delivered_requests_file_is_a_link_to_download_it_through_the_request() -> None:
    entry = {
        "kind": "request_delivered",
        "at": "2026-12-02T10:00:00+00:00",
        "actor_name": "Ewa Prawna",
        "data": {
            "request_id": "r-1",
            "service": "Weryfikacja umowy",
            "url": "/requests/r-1",
            "outputs": [
                {"label": "Decyzja", "type": "text", "value": "zgoda"},
                {
                    "label": "Umowa",
                    "type": "file",
                    "value": {"document_id": "d-1", "file_name": "Umowa po weryfikacji.pdf"},
                },
            ],
        },
    }

    line = _line(entry, Names({}, {}, {}, {}, {}), "PLN")

    assert line.text == "Decyzja: zgoda"
    assert line.files == (("Umowa: Umowa po weryfikacji.pdf", "/api/requests/r-1/files/d-1"),)
