package pipeline

// WrapWriter makes every run of p write through wrap(the run's writer): tests inject write
// faults with it, the writes now being the run lock holder's and not the warehouse's.
func WrapWriter(p *Pipeline, wrap func(Writer) Writer) { p.wrapWriter = wrap }
