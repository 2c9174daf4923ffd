"""The instruments' Chinese wording: PHQ-9, GAD-7 and SCARED in their published Chinese versions (items,
instructions, answer choices, each item's source), ASQ and PSC-17(-Y) marked as not validated in Chinese, the
English texts and the scoring unchanged, and the earlier versions still loadable for the responses given with
them. docs/instruments.md records where each text came from."""

import io
from dataclasses import replace

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from screening import services
from screening.definitions import DefinitionError, parse, previous, shipped
from screening.models import Instrument, Response
from tests.screening.conftest import participation_of

D = shipped()
BEFORE = {d.code: d for d in previous() if d.version == "1.0.0"}

PUBLISHED = {
    # code: (version, items, answer choices, words the wording's citation names)
    "phq9": ("2.0.0", 9, ["完全不会", "好几天", "一半以上的天数", "几乎每天"], ["Pfizer", "Simplified Chinese"]),
    "gad7": ("2.0.0", 7, ["完全不会", "几天", "一半以上的日子", "几乎每天"], ["何筱衍", "上海精神医学 2010"]),
    "scared": ("2.0.0", 41, ["没有此问题", "有时有", "经常有"], ["王凯", "苏林雁", "中国临床心理学杂志 2002"]),
}


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_each_published_version_has_its_items_choices_and_citation(code):
    version, count, choices, cited = PUBLISHED[code]
    d, before = D[code], BEFORE[code]
    assert (d.version, d.translation, len(d.items)) == (version, "published", count)
    assert [o.zh_hans for o in d.options] == choices
    assert all(word in d.wording for word in cited)
    assert all(item.source and f"第{item.number}题" in item.source for item in d.items)
    # The English texts and every scoring rule are those of 1.0.0: results stay comparable across versions.
    assert [(i.number, i.en) for i in d.items] == [(i.number, i.en) for i in before.items]
    assert [(o.value, o.en) for o in d.options] == [(o.value, o.en) for o in before.options]
    assert d.instructions["en"] == before.instructions["en"] and d.raw["scoring"] == before.raw["scoring"]


def test_the_published_texts_are_the_ones_the_issue_names():
    phq9 = {i.number: i.zh_hans for i in D["phq9"].items}
    assert phq9[1] == "做事时提不起劲或没有兴趣" and "让自己或家人失望" in phq9[6]
    assert phq9[9] == "有不如死掉或用某种方式伤害自己的念头"
    assert [i.zh_hans for i in D["gad7"].items] == [i.zh_hans for i in BEFORE["gad7"].items]  # already the 2010 text
    scared = {i.number: i.zh_hans for i in D["scared"].items}
    assert scared[6] == "当我害怕时，感到马上要死去似的。"  # differs from "feel like passing out": kept, see docs
    assert scared[21] == "我对于一些精心为我而安排的事感到不安和不自在。"


@pytest.mark.parametrize("code", ["asq", "psc17", "psc17y"])
def test_instruments_without_a_published_chinese_text_say_so(code):
    d, before = D[code], BEFORE[code]
    assert (d.version, d.translation) == ("1.1.0", "unvalidated") and "not validated" in d.wording
    assert [i.zh_hans for i in d.items] == [i.zh_hans for i in before.items]
    assert d.raw["scoring"] == before.raw["scoring"]


def test_the_parser_refuses_a_wording_without_its_sources():
    raw = D["phq9"].raw
    with pytest.raises(DefinitionError, match="each item's source"):
        parse({**raw, "items": [{**raw["items"][0], "source": ""}, *raw["items"][1:]]})
    with pytest.raises(DefinitionError, match="citation or reason"):
        parse({**D["asq"].raw, "wording": " "})
    with pytest.raises(DefinitionError, match="translation machine"):
        parse({**raw, "translation": "machine"})
    assert replace(D["phq9"]).translation == "published"


def test_the_list_shows_each_version_and_where_its_wording_comes_from():
    out = io.StringIO()
    call_command("instruments", "list", "--all", stdout=out)
    lines = [line.split("\t") for line in out.getvalue().splitlines()]
    rows = {(line[0], line[1]): line[-1] for line in lines}
    assert rows[("phq9", "2.0.0")].startswith("zh-hans wording published: PHQ-9 Simplified Chinese")
    assert rows[("phq9", "1.0.0")] == "zh-hans wording project"
    assert rows[("asq", "1.1.0")].startswith("zh-hans wording unvalidated: No published")
    assert len(rows) == 12


def test_a_response_keeps_the_version_it_was_answered_with(world, login, django_capture_on_commit_callbacks):
    """A campaign given with 1.0.0 (loaded before the new versions) keeps it for its forms, the file shows it,
    and new campaigns take the published version."""
    for definition in previous():
        Instrument.objects.create(code=definition.code, version=definition.version, definition=definition.raw)
    campaign = world.campaign_a  # takes the newest loaded: 1.0.0
    participation = participation_of(campaign, world.student_x)
    old = services.battery_for(participation)[0]
    assert (old.code, old.version) == ("phq9", "1.0.0")
    Response.objects.create(participation=participation, instrument=old, answers={}, status="scored", total=3,
                            band="minimal", suggested_tier=0, scored_at=timezone.now(), valid=True)  # fmt: skip
    call_command("instruments", "load", stdout=io.StringIO())
    assert services.latest_instruments()["phq9"].version == "2.0.0"
    assert services.battery_for(participation)[0].version == "1.0.0"
    html = login(world.users["counselor_a"]).get(reverse("screening:student_file", args=[world.student_x.pk]))
    assert "患者健康问卷（PHQ-9） (1.0.0)" in html.content.decode()


def test_the_campaign_and_policy_pages_say_which_wording_is_not_validated(world, login):
    call_command("instruments", "load", stdout=io.StringIO())
    official = login(world.users["official_a"])
    page = official.get(reverse("screening:campaign", args=[world.campaign_a.pk])).content.decode()
    assert "患者健康问卷（PHQ-9） (2.0.0)" in page and "自杀风险筛查问题（ASQ） (1.1.0)" in page
    assert '自杀风险筛查问题（ASQ） (1.1.0) <span class="warn">（中文措辞未经验证）' in page
    assert "患者健康问卷（PHQ-9） (2.0.0) <span" not in page  # the published text carries no such note
    policy = official.get(reverse("screening:policy")).content.decode()
    assert "中文版已发表" in policy and "PHQ-9 Simplified Chinese for Mainland China" in policy
    assert policy.count("未经中文验证") == 3  # ASQ, PSC-17, PSC-17-Y


def test_the_campaign_form_names_the_instruments_in_the_page_s_language(world, login):
    from portal.models import User

    official = world.users["official_a"]
    client = login(official)
    zh = client.get(reverse("screening:campaign_new")).content.decode()
    assert "患者健康问卷（PHQ-9）" in zh
    User.objects.filter(pk=official.pk).update(language="en")
    en = client.get(reverse("screening:campaign_new")).content.decode()
    assert "Patient Health Questionnaire (PHQ-9)" in en and "患者健康问卷" not in en
