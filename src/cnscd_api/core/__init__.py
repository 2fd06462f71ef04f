"""Cross-cutting pieces every feature uses: errors, i18n, text folding, lists, logging."""
