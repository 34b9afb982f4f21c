// Package exporters writes what accountants open: the period workbook, the CSV formats that
// bookkeeping software imports, and the manifest, to a local folder or S3. Sub-packages hold
// the formats and the sinks.
package exporters
