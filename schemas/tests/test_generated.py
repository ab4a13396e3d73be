from lead_schemas.generate import render


def test_checked_in_schema_files_match_the_models() -> None:
    stale = [str(path) for path, text in render().items() if not path.exists() or path.read_text() != text]
    assert not stale, f"regenerate with `make schemas`: {stale}"
