"""Row writers to a local file, one row at a time: neither keeps the rows in memory.

openpyxl's write-only workbook streams rows to a temporary file as they come."""

import csv


class CsvWriter:
    def __init__(self, path):
        self._file = open(path, "w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)

    def write(self, row):
        self._csv.writerow(["" if value is None else value for value in row])

    def close(self):
        self._file.close()


class XlsxWriter:
    def __init__(self, path, title="Report"):
        from openpyxl import Workbook

        self._path = path
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title=title)

    def write(self, row):
        self._sheet.append(row)

    def close(self):
        self._book.save(self._path)
        self._book.close()


def open_writer(fmt, path, title):
    return XlsxWriter(path, title) if fmt == "xlsx" else CsvWriter(path)
