"""report.html: self-contained, escaped, with relative links to evidence files and a sorted event timeline."""

from __future__ import annotations

import html.parser
import re

from olm_gather import _layout, _report
from olm_gather._analyze import analyze
from tests.unit import analyze_trees as trees


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]


def parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def test_report_is_self_contained_and_links_existing_evidence():
    files = trees.sample_tree()
    analysis = analyze(files)
    page = _report.render_html(analysis, files)
    doc = parse(page)
    assert "script" not in doc.tags
    assert "img" not in doc.tags
    assert "link" not in doc.tags
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    assert not re.search(r"(?:src|href)=\"(?:https?:|//)", page)
    hrefs = [v for tag, k, v in doc.attrs if tag == "a" and k == "href"]
    files_linked = [h for h in hrefs if not h.startswith("#")]
    assert files_linked
    for href in files_linked:
        assert href in files, href  # relative to the tree root, where report.html sits
    for path in _report.evidence_paths(analysis):
        assert f'href="{path}"' in page
    for anchor in (h[1:] for h in hrefs if h.startswith("#")):
        assert f'id="{anchor}"' in page


def test_report_shows_operators_findings_and_timeline_in_order():
    files = trees.sample_tree()
    page = _report.render_html(analyze(files), files)
    for text in (
        "etcd-operator",
        "cache-operator",
        "Deployment not available",
        "InstallPlan needs approval",
        "Next step:",
        "Events timeline",
        "Back-off restarting failed container",
    ):
        assert text in page, text
    times = re.findall(r'<td class="num">(\d{4}-\d\d-\d\dT[\d:]+Z)</td>', page)
    assert times
    assert times == sorted(times)


def test_everything_from_the_cluster_is_escaped():
    s = trees.crashloop()
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    s.csv["status"]["message"] = evil
    s.event(namespace="ns1", kind="Pod", name=s.pod_name, reason="<b>Bad</b>", message=evil)
    s.logs[_layout.log_path(namespace="ns1", pod=s.pod_name, container="manager", previous=True)] += evil + "\n"
    files = s.files()
    page = _report.render_html(analyze(files), files)
    assert "<script" not in page
    assert "<img" not in page
    assert "<b>Bad" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    doc = parse(page)
    assert not any(k.startswith("on") for _, k, _ in doc.attrs)


def test_report_for_an_empty_tree():
    page = _report.render_html(analyze({}), {})
    assert "The tree holds no Subscription" in page
    assert "The tree holds no events" in page


def test_links_include_the_top_folder_of_the_source():
    """`analyze DIR` writes report.html at DIR; when the layout starts in a subfolder (oc adm must-gather's image
    folder, an archive's top folder), links go through it."""
    files = {f"must-gather.local.1/image-abc/{k}": v for k, v in trees.crashloop().files().items()}
    page = _report.render_html(analyze(files), files)
    hrefs = re.findall(r'href="([^"#][^"]*)"', page)
    assert hrefs
    assert all(h.startswith("must-gather.local.1/image-abc/namespaces/") for h in hrefs), hrefs[:3]
    assert all(h in files for h in hrefs)
