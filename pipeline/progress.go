package pipeline

// Progress is one step of a run's progress, reported to Config.OnProgress as work proceeds.
type Progress struct {
	Stage  string // "extract", "receipts", "book", "export"
	Stream string // e.g. "transactions", "expenses", "ledger", "periods" (exports)
	Rows   int64  // records handled so far in this stream during this run
	Chunk  int    // 1-based index of the current chunk (0 when not chunked)
	Chunks int    // number of chunks planned (0 when not chunked)
	Done   bool   // the stream finished
}
