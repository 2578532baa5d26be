"""Viewports the site is checked at in headless Chromium."""

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
