package revolut

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/url"
)

var labelGroupKind = kind[LabelGroup]{
	stream: "label_groups",
	setRaw: func(g *LabelGroup, raw json.RawMessage) { g.Raw = raw },
	id:     func(g *LabelGroup) string { return g.ID },
}

// LabelGroups lists the label groups (Revolut operation getLabelGroups, GET /label-groups),
// following next_page_token.
func (c *Client) LabelGroups(ctx context.Context, opts ListOptions) iter.Seq2[LabelGroup, error] {
	return tokenPager(ctx, labelGroupKind, c.tokenPageFetcher("getLabelGroups", "/label-groups", "label_groups", opts.Limit))
}

// Labels lists the labels of one group (Revolut operation getLabels,
// GET /label-groups/{group_id}/labels), following next_page_token. Each Label's GroupID is
// set to groupID, since the API does not return it.
func (c *Client) Labels(ctx context.Context, groupID string, opts ListOptions) iter.Seq2[Label, error] {
	if groupID == "" {
		return fail[Label](errors.New("revolut: labels: group id is empty"))
	}
	path := "/label-groups/" + url.PathEscape(groupID) + "/labels"
	return tokenPager(ctx, labelKind(groupID), c.tokenPageFetcher("getLabels", path, "labels", opts.Limit))
}

// labelKind decodes the labels of one group, filling in GroupID.
func labelKind(groupID string) kind[Label] {
	return kind[Label]{
		stream: "labels",
		setRaw: func(l *Label, raw json.RawMessage) { l.Raw = raw; l.GroupID = groupID },
		id:     func(l *Label) string { return l.ID },
	}
}
