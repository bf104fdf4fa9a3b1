"""Accounts and the audit log in a real headless Chromium (issue 13, admin), two people in two browsers: an
admin adds a user, the user logs in with the password shown once and must change it first (every page
leads to the account page until then), the admin disables them and the user's open tab is logged out on
its next request; the audit page, filtered by that user, shows readable changes in English and German.
The set-up of every browser test (tests/browsing.py: Debian's chromium, real models, CSRF on)."""

from __future__ import annotations

import re

import pytest
from browsing import Server, login, page_of, shoot
from playwright.sync_api import BrowserContext, expect

from factsandwich.accounts import list_users

pytestmark = pytest.mark.models

NEW_USER = "Zoë <Admin-Test>"
NEW_PASSWORD = "zoës own passphrase"


def test_an_admin_manages_a_person_who_is_logged_out_when_disabled(
    server: Server,
    browser: BrowserContext,
    second_browser: BrowserContext,
) -> None:
    admin = page_of(browser)
    login(admin, server, "admin")
    admin.click("header nav a[href='/users']")
    form = admin.locator("form.add-user")
    form.locator("input[name=name]").fill(NEW_USER)
    form.locator("input[name=roles][value=comms]").check()
    form.locator("select[name=language]").select_option("en")
    form.locator("button").click()
    expect(admin.locator(".flash[role=status]").first).to_contain_text(f"User {NEW_USER} added.")
    generated = admin.locator("code.password").inner_text()
    assert len(generated) >= 10
    shoot(admin, "admin-users")

    person = page_of(second_browser)
    login(person, server, NEW_USER, generated)
    # An admin chose this password: the person's own comes first, whichever page they ask for.
    expect(person).to_have_url(re.compile(r"/account$"))
    expect(person.locator(".password-change-required")).to_contain_text("Please choose your own password")
    person.goto(f"{server.url}/triage")
    expect(person).to_have_url(re.compile(r"/account$"))
    person.fill("input[name=current_password]", generated)
    person.fill("input[name=new_password]", NEW_PASSWORD)
    person.fill("input[name=repeat_password]", NEW_PASSWORD)
    person.click("form.change-password button")
    expect(person.locator(".flash")).to_contain_text("Password changed.")
    shoot(person, "admin-own-password")
    person.goto(f"{server.url}/triage")
    expect(person).to_have_url(re.compile(r"/triage$"))  # free to work once the password is their own

    admin.goto(f"{server.url}/users")
    admin.locator(f"tr[data-user='{NEW_USER}'] button.toggle").click()
    expect(admin.locator(".flash").first).to_contain_text("is disabled")
    expect(admin.locator(f"tr[data-user='{NEW_USER}']")).to_contain_text("disabled")

    person.reload()  # the open tab's next request: already on the login page when reload returns
    expect(person).to_have_url(re.compile(r"/login\?next=/triage$"))
    person.fill("input[name=name]", NEW_USER)
    person.fill("input[name=password]", NEW_PASSWORD)
    person.click("form button.primary")
    expect(person.locator("main")).to_contain_text("Wrong name or password.")
    assert "/login" in person.url

    admin.goto(f"{server.url}/audit")
    admin.select_option("select[name=object_type]", "user")
    user_id = next(u.id for u in list_users(server.store) if u.name == NEW_USER)
    admin.fill("input[name=object_id]", str(user_id))
    admin.click("form.audit-filters button")
    rows = admin.locator("table.audit tbody tr")
    expect(rows).to_have_count(3)  # added, own password changed, disabled
    expect(rows.nth(0).locator(".action")).to_have_text("user disabled")
    expect(rows.nth(0).locator(".changes")).to_contain_text("disabled: ✗ → ✓")
    expect(rows.nth(1).locator(".action")).to_have_text("own password changed")
    expect(rows.nth(1).locator(".actor")).to_have_text(NEW_USER)
    expect(rows.nth(2).locator(".changes")).to_contain_text("roles: comms")
    text = admin.locator("table.audit").inner_text()
    assert "\\u" not in text and '{"' not in text and generated not in text and NEW_PASSWORD not in text
    assert admin.evaluate("window.__csp") == []
    shoot(admin, "admin-audit-en")

    admin.select_option("header select[name=language]", "de")
    admin.wait_for_load_state()
    expect(rows.nth(0).locator(".action")).to_have_text("Konto gesperrt")
    expect(admin.locator("table.audit thead")).to_contain_text("Änderungen")
    expect(rows.nth(0).locator(".changes")).to_contain_text("gesperrt: ✗ → ✓")
    shoot(admin, "admin-audit-de")
    admin.goto(f"{server.url}/users")
    expect(admin.locator("main h1")).to_contain_text("Konten")
    expect(admin.locator(f"tr[data-user='{NEW_USER}']")).to_contain_text("gesperrt")
