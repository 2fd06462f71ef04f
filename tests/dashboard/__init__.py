"""The reference dashboard driven in a real browser (Debian's Chromium through
Playwright), against a real server on the Kon Tum demo."""
