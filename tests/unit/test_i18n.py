import json
import re
from pathlib import Path

from dashboard.i18n import catalog, catalog_files, t

PACKAGE = Path(__file__).resolve().parents[2] / "dashboard"


def test_catalogs_have_the_same_keys_and_placeholders():
    zh, en = catalog("zh"), catalog("en")
    assert set(zh) == set(en)
    for key in zh:
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_catalog_files_are_valid_json_without_duplicates():
    for lang in ("zh", "en"):
        assert catalog_files(lang)
        for path in catalog_files(lang):
            pairs = json.loads(path.read_text("utf-8"), object_pairs_hook=lambda kv: kv)
            keys = [k for k, _ in pairs]
            assert len(keys) == len(set(keys)), path
    assert [p.name for p in catalog_files("zh")] == [p.name for p in catalog_files("en")]


def test_every_literal_key_used_in_code_exists():
    used = set()
    for path in PACKAGE.rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""", path.read_text("utf-8")))
    missing = sorted(k for k in used if k not in catalog("zh"))
    assert not missing


def test_lookup_fills_placeholders_and_defaults_to_chinese():
    assert t("home.as_of", "en", date="1 Dec") == "Data as of 1 Dec"
    assert t("home.title") == "攻坚总览"
    assert t("home.title", "xx") == "攻坚总览"
