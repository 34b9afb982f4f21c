// Package migrations embeds the warehouse's numbered SQL migrations. It has no logic: package
// load applies them.
package migrations
