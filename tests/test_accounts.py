"""The shape of rendered accounts, quotas, pinned addresses, aliases, delegates."""

import copy
import json

from mailgov.accounts import render
from test_roster_errors import BASE

KEYS = {"id", "kind", "local_part", "address", "display_name", "ascii_name", "surname",
        "given_name", "unit", "unit_name", "unit_path", "quota_bytes", "status", "aliases",
        "delegates"}


def test_account_shape():
    roster = copy.deepcopy(BASE)
    roster["people"][0]["name"] = "Hoàng\u00a0Thị  Như Quỳnh\u200b"
    accounts = {a["id"]: a for a in render(roster)}
    quynh = accounts["GL-0001"]
    assert KEYS <= set(quynh)
    assert quynh == {**quynh, "kind": "person", "local_part": "quynhhtn.stttt",
                     "address": "quynhhtn.stttt@gialai.gov.vn", "display_name": "Hoàng Thị Như Quỳnh",
                     "ascii_name": "Hoang Thi Nhu Quynh", "surname": "Hoàng", "given_name": "Thị Như Quỳnh",
                     "unit": "stttt", "unit_name": "Sở Thông tin và Truyền thông",
                     "unit_path": ["stttt"], "status": "active"}
    assert accounts["GL-0002"]["unit_path"] == ["iagrai", "tuphap"]
    assert accounts["tuphap"] == {**accounts["tuphap"], "kind": "unit", "unit": "tuphap",
                                  "unit_type": "division", "address": "tuphap.iagrai@gialai.gov.vn"}


def test_quota_comes_from_the_person_then_the_nearest_unit_then_the_policy():
    roster = copy.deepcopy(BASE)
    roster["units"][1]["quota"] = "3G"   # the district: a default for everyone below it
    roster["people"].append({"id": "GL-0003", "name": "Lê Văn Tám", "unit": "stttt", "quota": "1.5G"})
    quota = {a["id"]: a["quota_bytes"] for a in render(roster)}
    assert quota["GL-0001"] == 2 * 1024**3        # gialai keeps the project default
    assert quota["GL-0002"] == 3 * 1024**3
    assert quota["GL-0003"] == 1610612736
    assert quota["stttt"] == 5 * 1024**3


def test_pinned_address_aliases_and_delegates():
    roster = copy.deepcopy(BASE)
    roster["people"][0].update(address="quynh.stttt@gialai.gov.vn", aliases=["nhuquynh"])
    roster["units"][0]["delegates"] = ["GL-0001"]
    roster["units"][2]["mailbox"] = False
    accounts = {a["id"]: a for a in render(roster)}
    assert accounts["GL-0001"]["address"] == "quynh.stttt@gialai.gov.vn"
    assert accounts["GL-0001"]["aliases"] == ["nhuquynh@gialai.gov.vn"]
    assert accounts["stttt"]["delegates"] == ["GL-0001"]
    assert "tuphap" not in accounts
    # The head uses the unit mailbox as the delegates do, listed first and once.
    roster["units"][0].update(head="GL-0002", delegates=["GL-0001", "GL-0002"])
    assert {a["id"]: a for a in render(roster)}["stttt"]["delegates"] == ["GL-0002", "GL-0001"]
    # The unit without a mailbox still names the people in it.
    assert accounts["GL-0002"]["address"] == "nguyentd.iagrai@gialai.gov.vn"


def test_locked_and_recalled_people_keep_their_address():
    roster = copy.deepcopy(BASE)
    roster["people"][0]["status"] = "recalled"
    roster["people"][1]["status"] = "locked"
    accounts = {a["id"]: a for a in render(roster)}
    assert (accounts["GL-0001"]["status"], accounts["GL-0001"]["local_part"]) == ("recalled", "quynhhtn.stttt")
    assert accounts["GL-0002"]["status"] == "locked"


def test_an_address_of_someone_gone_is_never_reused():
    roster = copy.deepcopy(BASE)
    roster["people"][0]["id"] = "GL-0100"   # a newcomer with the name of someone who left
    accounts = {a["id"]: a for a in render(roster, {"GL-0001": "quynhhtn.stttt"})}
    assert accounts["GL-0100"]["local_part"] == "nhuquynhht.stttt"


def test_domain_of_the_roster_wins():
    roster = dict(copy.deepcopy(BASE), domain="mail.gialai.gov.vn")
    assert all(a["address"].endswith("@mail.gialai.gov.vn") for a in render(roster))


def test_output_is_the_same_byte_for_byte():
    first = json.dumps(render(copy.deepcopy(BASE)), ensure_ascii=False, sort_keys=True)
    assert json.dumps(render(copy.deepcopy(BASE)), ensure_ascii=False, sort_keys=True) == first


def test_input_is_not_modified():
    roster = copy.deepcopy(BASE)
    render(roster)
    assert roster == BASE
