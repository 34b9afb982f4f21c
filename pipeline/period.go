package pipeline

import "github.com/revledger/revledger/internal/period"

// Period is the unit of export, a calendar month: the one period.Period, named here because
// Export takes it and the exporter is handed it unchanged.
type Period = period.Period
