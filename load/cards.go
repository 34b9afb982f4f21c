package load

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/transform"
)

// Card history lives in card_versions, written by triggers on cards in the same transaction
// as LoadBatch's merge (migration 0002): a card whose label, state, limits or references
// change keeps every earlier content with when it was current. This file adds what a trigger
// cannot know, which cards the API stopped listing, and the read the exports use.

// ListedCardIDs returns the ids of every card the API listed in b: the decoded cards and the
// cards that were quarantined with an id. A quarantined card is still listed, so it must not
// be taken for a missing one.
func ListedCardIDs(b Batch) []string {
	ids := make([]string, 0, len(b.Cards))
	for _, c := range b.Cards {
		ids = append(ids, c.ID)
	}
	for _, q := range b.Quarantine {
		if q.Stream == cardsTable.name && q.SourceID != "" {
			ids = append(ids, q.SourceID)
		}
	}
	return ids
}

// MarkMissingCards records the result of a full card listing made at at: every stored card
// whose id is not in listedIDs and is not marked yet gets missing_since = at; every listed
// card loses its mark (a card can come back, e.g. after a listing glitch). Cards are never
// deleted, because ledger lines name them. Call it only with a complete listing (see
// ListedCardIDs); a partial one would mark cards that still exist.
func (w *Writer) MarkMissingCards(ctx context.Context, listedIDs []string, at time.Time) error {
	err := w.inTx(ctx, func(tx pgx.Tx) error { return markMissingCards(ctx, tx, listedIDs, at) })
	if err != nil {
		return fmt.Errorf("load: mark missing cards: %w", err)
	}
	return nil
}

// markMissingCards is MarkMissingCards inside tx; LoadBatch calls it for a batch that carries
// a complete card listing (Batch.CardsListedAt), so the cards and their marks commit together.
func markMissingCards(ctx context.Context, tx pgx.Tx, listedIDs []string, at time.Time) error {
	if listedIDs == nil {
		listedIDs = []string{}
	}
	if _, err := tx.Exec(ctx, `UPDATE cards SET missing_since = $2
		WHERE missing_since IS NULL AND NOT (id = ANY ($1::text[]))`, listedIDs, at.UTC()); err != nil {
		return interpret(err)
	}
	_, err := tx.Exec(ctx, `UPDATE cards SET missing_since = NULL
		WHERE missing_since IS NOT NULL AND id = ANY ($1::text[])`, listedIDs)
	return interpret(err)
}

// Cards returns every stored card as the exports describe it, including the ones the API no
// longer lists (MissingSince set), with holder names from the stored team members. Ordered
// by id; read in one snapshot.
func (s *Store) Cards(ctx context.Context) ([]transform.CardInfo, error) {
	var cards []revolut.Card
	var members []revolut.TeamMember
	missing := map[string]time.Time{}
	// A stored card or member that no longer decodes is left out here; booking quarantines it.
	var undecodable []*DecodeError
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := readSettings(ctx, tx, cardsTable.name, &cards, nil, &undecodable); err != nil {
			return err
		}
		if err := readSettings(ctx, tx, teamMembersTable.name, &members, nil, &undecodable); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT id, missing_since FROM cards WHERE missing_since IS NOT NULL`)
		var id string
		var since time.Time
		_, err := pgx.ForEachRow(rows, []any{&id, &since}, func() error {
			missing[id] = since.UTC()
			return nil
		})
		return interpret(err)
	})
	if err != nil {
		return nil, fmt.Errorf("load: read cards: %w", err)
	}
	out := transform.CardInfos(cards, members)
	for i := range out {
		out[i].MissingSince = missing[out[i].ID]
	}
	return out, nil
}
