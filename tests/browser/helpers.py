"""Browser interactions that hold up on a busy machine, shared by the browser tests.

Mantine animates drawers, modals and dropdowns, React re-renders option lists while the user
types, and a save reads what the inputs hold when it is clicked. So these helpers click an
element once it can take the click (an opening drawer may still cover it), pick an option only
when its dropdown shows it and then wait until the field holds the choice, and wait until typed
text is in the input before the test moves on. They wait, they never retry an action that may
have happened: a click is repeated only when the browser refused it.
"""

from __future__ import annotations

from selenium.common.exceptions import (
    ElementClickInterceptedException,
    ElementNotInteractableException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

#: Seconds to wait for the page; generous because other test suites may share the machine.
WAIT = 20
# The browser refused the action (nothing happened), so trying again is safe.
_REFUSED = (ElementClickInterceptedException, ElementNotInteractableException, StaleElementReferenceException,
            NoSuchElementException)


def no_console_errors(duo) -> None:
    logs = [entry for entry in duo.get_logs() or [] if entry.get("level") == "SEVERE"]
    assert logs == [], logs


def _element(driver, target) -> WebElement:
    if isinstance(target, WebElement):
        return target
    by, value = target if isinstance(target, tuple) else (By.CSS_SELECTOR, target)
    return driver.find_element(by, value)


def click(duo, target, timeout: float = WAIT) -> WebElement:
    """Click ``target`` (a CSS selector, a ``(By, value)`` locator or an element) as soon as it
    is shown, enabled and not covered; returns the element."""

    def attempt(driver):
        element = _element(driver, target)
        if not (element.is_displayed() and element.is_enabled()):
            return False
        element.click()
        return element

    return WebDriverWait(duo.driver, timeout, ignored_exceptions=_REFUSED).until(
        attempt, f"could not click {target}"
    )


def wait_until_settled(duo, selector: str, timeout: float = WAIT) -> None:
    """Wait until a sliding panel (a Mantine drawer) has finished its opening transition.

    A click during the transition can land while the button is still moving and be lost.
    """
    script = (
        "const e = document.querySelector(arguments[0]); if (!e) return false;"
        "const s = getComputedStyle(e);"
        "return ['none', 'matrix(1, 0, 0, 1, 0, 0)'].includes(s.transform) && s.opacity === '1';"
    )
    WebDriverWait(duo.driver, timeout).until(lambda d: d.execute_script(script, selector),
                                              f"{selector} did not settle")


def type_text(duo, element: WebElement, text: str, timeout: float = WAIT) -> None:
    """Replace what ``element`` holds with ``text`` and wait until the input shows it."""
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)
    WebDriverWait(duo.driver, timeout).until(
        lambda _d: element.get_attribute("value") == text, f"the input did not take {text!r}"
    )


def append_text(duo, element: WebElement, text: str, timeout: float = WAIT) -> None:
    """Type ``text`` at the end of what ``element`` holds and wait until the input shows it."""
    # Typing focuses the element itself: no click, which a sticky bar over the field could take.
    element.send_keys(Keys.CONTROL, Keys.END)
    element.send_keys(text)
    WebDriverWait(duo.driver, timeout).until(
        lambda _d: text.strip() in (element.get_attribute("value") or ""), f"the input did not take {text!r}"
    )


def _matches(label: str, text: str, exact: bool) -> bool:
    return label == text if exact else text in label


def _chosen(driver, field: WebElement, text: str, exact: bool) -> bool:
    """A MultiSelect shows the choice as a pill; a Select shows it in the input and closes."""
    pills = field.find_elements(
        By.XPATH, "./ancestor::*[contains(@class, 'mantine-MultiSelect-root')][1]//*[contains(@class, 'Pill-label')]"
    )
    if pills:
        return any(_matches(pill.text.strip(), text, exact) for pill in pills)
    still_offered = any(
        option.is_displayed() and _matches(option.text.strip(), text, exact)
        for option in driver.find_elements(By.CSS_SELECTOR, "[role='option']")
    )
    return text in (field.get_attribute("value") or "") and not still_offered


def choose(duo, field: WebElement, text: str, exact: bool = False, searchable: bool = True,
           timeout: float = WAIT) -> None:
    """Pick ``text`` in a Mantine Select or MultiSelect as a user does: open it, type to filter
    (when it is ``searchable``), click the option once the dropdown shows it, then wait until
    the field holds the choice.

    ``exact``: the option's label is ``text`` (otherwise it contains it, e.g. a site's code).
    """
    click(duo, field, timeout)
    if searchable:
        field.send_keys(text)

    def pick(driver):
        # Other selects on the page keep hidden options with the same labels.
        for option in driver.find_elements(By.CSS_SELECTOR, "[role='option']"):
            if option.is_displayed() and _matches(option.text.strip(), text, exact):
                option.click()
                return True
        return False

    WebDriverWait(duo.driver, timeout, ignored_exceptions=_REFUSED).until(pick, f"no option {text!r} to pick")
    WebDriverWait(duo.driver, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda driver: _chosen(driver, field, text, exact), f"{text!r} was not chosen"
    )
