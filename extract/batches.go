package extract

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// Chunking is how a window is cut for storage: calendar months in Location when Days is 0,
// else every Days days. Each chunk is committed with its checkpoint, so an interrupted run
// loses at most one chunk of work.
type Chunking struct {
	Location *time.Location
	Days     int
}

// Batch is up to a batch size of consecutive records of one chunk, in the order the API
// listed them, with the records of that stretch that could not be decoded.
type Batch[T any] struct {
	Window        Window // the chunk
	Chunk, Chunks int    // the chunk's number (from 1) and the number of chunks
	Records       []T
	Bad           []*revolut.RecordError
	// Last marks the chunk's last batch (possibly empty): once it is stored, the whole
	// chunk is, and the chunk's end can become the checkpoint.
	Last bool
	// Listed counts the records listed so far in the whole window, this batch included.
	Listed int64
}

// List lists one window of a stream: the client's Transactions or Expenses pager.
type List[T any] func(ctx context.Context, w Window) iter.Seq2[T, error]

// Batches pages through w chunk by chunk and yields the records in batches of up to size
// (records and undecodable ones together), ending every chunk with a Last batch. Each batch
// owns its slices: the consumer may keep them. An error from the API ends the sequence with
// that error, wrapped with its chunk: a page that could not be fetched is never treated as
// empty. A record that could not be decoded (*revolut.RecordError) is not an error here: it
// travels in Bad, to be quarantined.
func Batches[T any](ctx context.Context, w Window, c Chunking, size int, list List[T]) iter.Seq2[Batch[T], error] {
	return func(yield func(Batch[T], error) bool) {
		if size < 1 {
			yield(Batch[T]{}, fmt.Errorf("extract: batch size %d: want at least 1", size))
			return
		}
		chunks := w.Chunks(c.Location, c.Days)
		var listed int64
		for i, chunk := range chunks {
			b := Batch[T]{Window: chunk, Chunk: i + 1, Chunks: len(chunks)}
			for v, err := range list(ctx, chunk) {
				var rec *revolut.RecordError
				switch {
				case errors.As(err, &rec):
					b.Bad = append(b.Bad, rec)
				case err != nil:
					yield(Batch[T]{}, fmt.Errorf("chunk %s: %w", chunk, err))
					return
				default:
					b.Records = append(b.Records, v)
					listed++
				}
				if len(b.Records)+len(b.Bad) >= size {
					b.Listed = listed
					if !yield(b, nil) {
						return
					}
					b = Batch[T]{Window: chunk, Chunk: i + 1, Chunks: len(chunks)}
				}
			}
			b.Last, b.Listed = true, listed
			if !yield(b, nil) {
				return
			}
		}
	}
}
