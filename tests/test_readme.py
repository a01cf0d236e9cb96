"""README's configuration table lists exactly the environment variables that settings read."""

import re
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]


def test_configuration_table_matches_settings():
    settings_source = (BASE_DIR / "portal" / "settings.py").read_text()
    read = set(re.findall(r"env_(?:str|bool|int|list)\(\s*\"([A-Z][A-Z0-9_]*)\"", settings_source))
    readme = (BASE_DIR / "README.md").read_text()
    configuration = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", configuration, flags=re.MULTILINE))
    assert read, "no env_* calls found in portal/settings.py"
    assert not read - documented, f"add these to README's Configuration table: {sorted(read - documented)}"
    assert not documented - read, f"README documents variables that settings do not read: {sorted(documented - read)}"
