"""One module per page; importing a module registers its page with Dash."""

from dashboard.ui.pages import home

PAGES = [home]
