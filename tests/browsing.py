"""Helpers for the browser tests: axe-core (vendored) on the page a tab shows."""

import os

AXE = os.path.join(os.path.dirname(__file__), "vendor", "axe.min.js")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(tab) -> list[str]:
    """WCAG 2.2 A/AA violations on the tab's page (the context needs bypass_csp=True)."""
    tab.add_script_tag(path=AXE)
    return tab.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
        return r.violations.map(v => v.id + ': ' + v.nodes.slice(0, 3)
            .map(n => n.target.join(' ')).join(' | '));
    }""", WCAG_TAGS)
