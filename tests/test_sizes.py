import pytest
from mailgov.sizes import domain_size_limits, message_size_limit, size_bytes


@pytest.mark.parametrize("value, expected", [
    ("1G", 1024**3), ("1 GB", 1024**3), ("1GiB", 1024**3), ("1g", 1024**3),
    ("500M", 500 * 1024**2), ("1.5G", 1610612736), ("15MB", 15 * 1024**2),
    ("2T", 2 * 1024**4), ("64K", 65536), ("100", 100), ("100B", 100),
    (" 2 G ", 2 * 1024**3), (0, 0), (1048576, 1048576),
])
def test_size_bytes(value, expected):
    assert size_bytes(value) == expected


@pytest.mark.parametrize("value", ["", "G", "1X", "-1G", "1,5G", "1.5.1G", None, True, -5, [1], "ten"])
def test_size_bytes_refuses(value):
    with pytest.raises(ValueError):
        size_bytes(value)


@pytest.mark.parametrize("attachments, expected", [
    ({"gialai.gov.vn": "25M"}, {}),
    ({"gialai.gov.vn": "25M", "sct.gialai.gov.vn": "25M"}, {}),
    ({"gialai.gov.vn": "25M", "tphcm.gov.vn": "15M"}, {"tphcm.gov.vn": message_size_limit(15 << 20)}),
    ({"tphcm.gov.vn": "15M", "yenbai.gov.vn": "10M", "gialai.gov.vn": "30M"},
     {"tphcm.gov.vn": message_size_limit(15 << 20), "yenbai.gov.vn": message_size_limit(10 << 20)}),
])
def test_a_domain_that_allows_less_than_the_server_gets_a_limit_of_its_own(attachments, expected):
    assert domain_size_limits({d: {"attachment_max": a} for d, a in attachments.items()}) == expected
