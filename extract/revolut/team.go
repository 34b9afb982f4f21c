package revolut

import (
	"context"
	"encoding/json"
	"iter"
	"time"
)

// MaxTeamMembersPage is the largest page GET /team-members serves.
const MaxTeamMembersPage = 1000

// TeamMemberListOptions pages the team-member list.
type TeamMemberListOptions struct {
	// CreatedBefore is the exclusive upper bound on created_at; zero means now.
	CreatedBefore time.Time
	// Limit is the page size: default and maximum MaxTeamMembersPage.
	Limit int
}

var teamMemberKind = kind[TeamMember]{
	stream: "team_members",
	setRaw: func(m *TeamMember, raw json.RawMessage) { m.Raw = raw },
	id:     func(m *TeamMember) string { return m.ID },
	at:     func(m *TeamMember) time.Time { return m.CreatedAt.Time },
}

// TeamMembers lists the business's team members, newest first (Revolut operation
// getTeamMembers, GET /team-members), paging with created_before.
func (c *Client) TeamMembers(ctx context.Context, opts TeamMemberListOptions) iter.Seq2[TeamMember, error] {
	return createdBeforePager(c, teamMemberKind, "getTeamMembers", "/team-members", opts.CreatedBefore, opts.Limit, MaxTeamMembersPage).seq(ctx)
}
