"""Both catalogues complete, compiled files current, and no source string left out of them."""

import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "portal" / "locale"
LANGUAGES = ["zh_Hans", "en"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    po = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    assert len(po.translated_entries()) > 100


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_its_source(language):
    folder = LOCALE / language / "LC_MESSAGES"
    po = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.pofile(str(folder / "django.po"))}
    mo = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in polib.mofile(str(folder / "django.mo"))}
    assert po.items() <= mo.items(), "run `make messages` and commit the .mo files"


def test_every_source_string_is_in_the_catalogues(tmp_path):
    """xgettext over the code: a new _() string without a translation fails here."""
    if not shutil.which("xgettext"):
        pytest.fail("gettext is not installed: .ci/run and `make messages` install it")
    root = Path(settings.BASE_DIR)
    sources = [str(p) for p in root.glob("portal/**/*.py") if "migrations" not in p.parts]
    templates = [str(p) for p in root.glob("templates/**/*.html")]
    extracted = set()
    out = tmp_path / "py.pot"
    subprocess.run(
        ["xgettext", "-L", "Python", "--from-code=UTF-8", "-k_", "-kgettext_lazy", "-kgettext", "-kngettext:1,2",
         "-o", str(out), *sources],
        check=True,
    )  # fmt: skip
    extracted |= {e.msgid for e in polib.pofile(str(out))}
    # Templates: Django's own extractor, as makemessages runs it.
    from django.utils.translation import templatize

    for path in templates:
        text = templatize(Path(path).read_text(encoding="utf-8"), origin=path)
        tpl = tmp_path / "tpl.py"
        tpl.write_text(text, encoding="utf-8")
        subprocess.run(
            ["xgettext", "-L", "Python", "--from-code=UTF-8", "-kgettext", "-kngettext:1,2", "-kpgettext:1c,2",
             "-knpgettext:1c,2,3", "-o", str(out), str(tpl)],
            check=True,
        )  # fmt: skip
        if out.exists():
            extracted |= {e.msgid for e in polib.pofile(str(out))}
            out.unlink()
    extracted.discard("")
    for language in LANGUAGES:
        known = {e.msgid for e in polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))}
        assert extracted - known == set(), f"{language}: run `make messages` and translate"
