"""The engine floor for bench/run.py: the same documents and queries in tantivy (Rust).

tantivy is a bench/test extra (setup.cfg), never a runtime dependency. Each query does what
``search()`` does for the first page: the top 20 with their stored rows, the six facet counts
(terms aggregations over fast fields) and a highlighted snippet of each hit's text. Words are
parsed by tantivy's lenient query parser over the locale's name and text fields and ``all``
(its English stemmer for English fields, its default tokenizer elsewhere); category, flag, city
and language filters are term filters. Distance, radius and open-now have no counterpart here,
so those queries run their words and filters only: the floor is a floor, not a twin.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from directory.i18n import SUPPORTED_LOCALES
from directory.search.documents import fold
from directory.search.schema import FACET_FIELDS, name_field, text_field

FILTER_FIELDS = {"category": "terms", "flag": "flags", "city": "city", "language": "languages",
                 "region": "region", "cost": "cost"}


class TantivyFloor:
    def __init__(self, documents: Iterable[dict[str, Any]], threads: int = 2):
        import tantivy

        self.tantivy = tantivy
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("id", stored=True, tokenizer_name="raw")
        builder.add_text_field("all", stored=True)
        for locale in SUPPORTED_LOCALES:
            tokenizer = "en_stem" if locale == "en" else "default"
            builder.add_text_field(name_field(locale), stored=True, tokenizer_name=tokenizer)
            builder.add_text_field(text_field(locale), stored=True, tokenizer_name=tokenizer)
        for name in FACET_FIELDS:
            builder.add_text_field(name, tokenizer_name="raw", fast=True)
        builder.add_json_field("row", stored=True)
        self.schema = builder.build()
        self.index = tantivy.Index(self.schema)
        started = time.perf_counter()
        writer = self.index.writer(heap_size=256 * 1024 * 1024, num_threads=threads)
        self.count = 0
        for doc in documents:
            writer.add_document(self._document(doc))
            self.count += 1
        writer.commit()
        writer.wait_merging_threads()
        self.index.reload()
        self.build_seconds = time.perf_counter() - started
        self.searcher = self.index.searcher()

    def _document(self, doc: dict[str, Any]) -> Any:
        out = self.tantivy.Document()
        for key, value in doc.items():
            if key == "row":
                out.add_json("row", value)
            elif key in FACET_FIELDS:
                for item in filter(None, value.split(",")):
                    out.add_text(key, item)
            elif value:
                out.add_text(key, value)
        return out

    def search(self, q: str = "", locale: str = "en", filters: dict | None = None,
               **_ignored: Any) -> tuple[int, list[dict], dict]:
        tantivy = self.tantivy
        fields = ["all", name_field(locale), text_field(locale)]
        if q.strip():
            query, _errors = self.index.parse_query_lenient(q, fields)
        else:
            query = tantivy.Query.all_query()
        clauses = [(tantivy.Occur.Must, query)]
        for key, values in (filters or {}).items():
            field = FILTER_FIELDS.get(key)
            if field is None:
                continue
            for value in values:
                value = fold(value) if field in ("city", "region", "languages") else value
                clauses.append((tantivy.Occur.Must,
                                tantivy.Query.term_query(self.schema, field, value)))
        if len(clauses) > 1:
            query = tantivy.Query.boolean_query(clauses)
        result = self.searcher.search(query, limit=20, count=True)
        snippets = tantivy.SnippetGenerator.create(self.searcher, query, self.schema,
                                                   text_field(locale))
        hits = []
        for _score, address in result.hits:
            doc = self.searcher.doc(address)
            hits.append({"row": doc["row"], "snippet": snippets.snippet_from_doc(doc).to_html()})
        facets = self.searcher.aggregate(query, {
            name: {"terms": {"field": name, "size": 100}} for name in FACET_FIELDS})
        return result.count, hits, facets
