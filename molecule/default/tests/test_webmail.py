"""A user's day in webmail, in a real browser: log in, read a message with a Vietnamese
subject, find a colleague by a name typed without diacritics, change the password (a weak
one is refused in Vietnamese), log out and in again; and an account whose password an
administrator set is sent to the password screen. Screenshots: see conftest.py."""

import secrets
import unicodedata
import uuid
from email.message import EmailMessage

import pytest
from conftest import DOMAIN, HOSTNAME, mail_clients, set_password, submit, testinfra_hosts
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

__all__ = ["testinfra_hosts"]

URL = f"https://{HOSTNAME}/"
COLLEAGUE = "Tôn Thất Minh Hùng"  # GL-0008, of the same unit


def strong_password():
    return f"Gl@{secrets.token_hex(5)}9X"


def shot(driver, artifacts, name):
    driver.save_screenshot(str(artifacts / f"{name}.png"))


def wait(driver, check, timeout=30):
    return WebDriverWait(driver, timeout, poll_frequency=0.3).until(lambda d: check(d))


def messages(driver):
    """The texts of Roundcube's notices (#messagestack), in NFC: some of Roundcube's own
    Vietnamese texts are stored decomposed."""
    text = driver.execute_script("var m = document.getElementById('messagestack'); return m ? m.textContent : '';")
    return unicodedata.normalize("NFC", " ".join(text.split()))


def log_in(driver, account):
    driver.get(URL)
    wait(driver, lambda d: d.find_elements(By.ID, "rcmloginuser"))
    driver.find_element(By.ID, "rcmloginuser").send_keys(account.address)
    driver.find_element(By.ID, "rcmloginpwd").send_keys(account.password)
    driver.find_element(By.ID, "rcmloginsubmit").click()
    wait(driver, lambda d: "_task=login" not in d.current_url and d.find_elements(By.ID, "taskmenu"))


def change_password(driver, current, new):
    for field, value in (("curpasswd", current), ("newpasswd", new), ("confpasswd", new)):
        element = driver.find_element(By.ID, field)
        element.clear()
        element.send_keys(value)
    driver.find_element(By.CSS_SELECTOR, ".formbuttons button.submit, .formbuttons button.mainaction").click()


def test_a_day_in_webmail(host, server, tls, browser, artifacts):
    user = set_password(host, "GL-0001", strong_password())
    sender = set_password(host, "GL-0003", strong_password())
    token = uuid.uuid4().hex[:8]
    subject = f"Giấy mời họp giao ban quý IV – Phòng Bưu chính, Viễn thông {token}"
    message = EmailMessage()
    message["From"] = sender.address
    message["To"] = user.address
    message["Subject"] = subject
    message.set_content("Kính gửi chị Quỳnh,\n\nMời chị dự họp giao ban lúc 8 giờ sáng thứ Hai.\n")
    assert submit(server, tls, sender, [user.address], message.as_bytes()) == {}

    # The login page speaks Vietnamese to a browser that asks for English.
    browser.get(URL)
    wait(browser, lambda d: d.find_elements(By.ID, "rcmloginsubmit"))
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
    assert "Thư điện tử công vụ" in browser.title
    shot(browser, artifacts, "01-login")
    log_in(browser, user)

    # The message, its subject intact.
    row = f"//table[@id='messagelist']//tr[.//*[contains(text(), '{token}')]]//a[contains(@href, '_uid=')]"

    def find_message(driver):
        found = driver.find_elements(By.XPATH, row)
        if not found:
            driver.refresh()
        return found

    link = wait(browser, find_message, timeout=60)[0]
    shot(browser, artifacts, "02-inbox")
    browser.get(link.get_attribute("href"))
    heading = wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "h2.subject"))[0]
    assert subject in heading.text
    assert "Mời chị dự họp giao ban" in browser.find_element(By.ID, "messagebody").text
    shot(browser, artifacts, "03-message")

    # The directory's address book: a colleague found by a name typed without diacritics.
    browser.get(URL + "?_task=addressbook&_source=mailgov")
    source = "//ul[@id='directorylist']/li[contains(@class, 'selected')]/a"
    assert wait(browser, lambda d: d.find_elements(By.XPATH, source))[0].text == "Danh bạ cơ quan"
    table = "//table[@id='contacts-table']"
    wait(browser, lambda d: "Hoàng Thị Như Quỳnh" in d.find_element(By.XPATH, table).text)  # all listed
    browser.find_element(By.ID, "searchform").send_keys("ton that minh hung", Keys.ENTER)
    # Only the colleague: the listing of everyone is replaced by the search result.
    wait(browser, lambda d: d.find_element(By.XPATH, table).text.strip() == COLLEAGUE)
    shot(browser, artifacts, "04-addressbook-search")

    # ... and grouped by unit: the department's group lists its people and its own mailbox.
    browser.find_element(By.ID, "searchform").clear()
    browser.find_element(By.XPATH, "//li[contains(@class, 'contactgroup')]/a[normalize-space()='Sở Thông tin và Truyền thông']").click()
    wait(browser, lambda d: COLLEAGUE in d.find_element(By.XPATH, table).text)
    listed = browser.find_element(By.XPATH, table).text
    assert "Hoàng Thị Như Quỳnh" in listed and "Sở Thông tin và Truyền thông" in listed
    assert "Phạm Quang Huy" not in listed  # Sở Tài nguyên và Môi trường
    shot(browser, artifacts, "05-addressbook-unit")

    # A weak password: the directory refuses it, and the user reads why, in Vietnamese.
    browser.get(URL + "?_task=settings&_action=plugin.password")
    wait(browser, lambda d: d.find_elements(By.ID, "newpasswd"))
    assert "chữ hoa, chữ thường, chữ số" in browser.find_element(By.ID, "ruleslist").text
    change_password(browser, user.password, "matkhau12345")
    wait(browser, lambda d: "chưa đủ mạnh" in messages(d))
    assert "Không thể lưu mật khẩu mới" in messages(browser)
    shot(browser, artifacts, "06-password-refused")
    mail_clients.imap_login(server, tls, user.address, user.password).logout()  # unchanged

    # A good one: accepted by the directory.
    new_password = strong_password()
    change_password(browser, user.password, new_password)
    wait(browser, lambda d: "thành công" in messages(d))
    shot(browser, artifacts, "07-password-changed")
    mail_clients.imap_login(server, tls, user.address, new_password).logout()

    # Out, and in again with the new password.
    browser.get(URL + "?_task=mail")
    wait(browser, lambda d: d.find_elements(By.XPATH, row))  # the page is ready
    browser.find_element(By.CSS_SELECTOR, "#taskmenu a.logout").click()
    wait(browser, lambda d: d.find_elements(By.ID, "rcmloginuser"))
    shot(browser, artifacts, "08-logged-out")
    user.password = new_password
    log_in(browser, user)
    assert "_task=mail" in browser.current_url
    shot(browser, artifacts, "09-logged-in-again")


def test_a_hosted_domains_person_logs_in_with_the_address_and_keeps_its_own_rules(host, server, tls, browser,
                                                                                artifacts):
    """SCT-0003 of the hosted sct.gialai.gov.vn: the password screen states the Department's own
    rules (no digit), and a password without one is taken."""
    user = set_password(host, "SCT-0003", strong_password())
    assert user.address == "viettq@sct.gialai.gov.vn"
    log_in(browser, user)
    browser.get(URL + "?_task=settings&_action=plugin.password")
    wait(browser, lambda d: d.find_elements(By.ID, "newpasswd"))
    rules = unicodedata.normalize("NFC", browser.find_element(By.ID, "ruleslist").text)
    assert "Có đủ chữ hoa, chữ thường, ký tự đặc biệt" in rules and "chữ số" not in rules
    shot(browser, artifacts, "12-hosted-domain-rules")
    new_password = f"Congthuong@{secrets.token_hex(3).translate(str.maketrans('0123456789', 'ghijklmnop'))}"
    change_password(browser, user.password, new_password)
    wait(browser, lambda d: "thành công" in messages(d))
    mail_clients.imap_login(server, tls, user.address, new_password).logout()


@pytest.mark.parametrize("uid", ["GL-0005"])
def test_reset_password_must_be_changed_first(host, server, tls, browser, artifacts, uid):
    """A password an administrator set (pwdReset): the user lands on the password screen,
    told why, and cannot go anywhere else until the directory takes a new password."""
    user = set_password(host, uid, strong_password(), reset=True)
    log_in(browser, user)
    wait(browser, lambda d: "_action=plugin.password" in d.current_url)
    wait(browser, lambda d: "quản trị viên" in messages(d))
    shot(browser, artifacts, "10-must-change")
    browser.get(URL + "?_task=mail")
    wait(browser, lambda d: d.find_elements(By.ID, "newpasswd"))
    assert "_action=plugin.password" in browser.current_url

    new_password = strong_password()
    change_password(browser, user.password, new_password)
    wait(browser, lambda d: "thành công" in messages(d))
    entry = host.check_output("ldapsearch -Q -Y EXTERNAL -H ldapi:/// -LLL -b uid=%s,ou=people,ou=%s,dc=%s pwdReset",
                              uid, DOMAIN, DOMAIN.replace(".", ",dc="))
    assert "pwdReset" not in entry
    browser.get(URL + "?_task=mail")
    wait(browser, lambda d: d.find_elements(By.ID, "messagelist"))
    assert "_task=mail" in browser.current_url
    shot(browser, artifacts, "11-free-after-change")


def test_the_daily_clean_up_job_runs(host):
    """Roundcube's own timer purges old sessions and caches; its unit must not fail here."""
    result = host.run("systemctl start roundcube-gc.service")
    assert result.rc == 0, host.run("journalctl -u roundcube-gc.service -n 5 --no-pager").stdout
