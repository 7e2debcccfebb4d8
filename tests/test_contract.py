"""One home per fact about a source (issue 15): schema.SOURCES holds each source's fields, key,
pattern, phase, per-year or not, table and Swedish name; every step reads it from there."""

from runreport.completeness import LABEL_SV
from runreport.filecheck import PHASE
from runreport.ingest.collect import SOURCE_ORDER, YEARLESS
from runreport.schema import SOURCES
from runreport.validation.suites import DATE_IN_YEAR
from runreport.warehouse.load import TABLES


def test_every_step_reads_the_one_record_of_each_source():
    assert SOURCE_ORDER == list(SOURCES)
    phases = [SOURCES[n].phase for n in SOURCE_ORDER]
    assert phases == sorted(phases), "checking order: reference data first"
    for name, src in SOURCES.items():
        assert src.label_sv and LABEL_SV[name] == src.label_sv
        assert PHASE[name] == src.phase and (name in YEARLESS) == src.yearless
        assert TABLES[name].__tablename__ == src.table
        assert DATE_IN_YEAR.get(name) == src.date_in_year
        if src.date_in_year:
            assert src.date_in_year in {f.name for f in src.fields}
        assert set(src.key) <= {f.name for f in src.fields}
