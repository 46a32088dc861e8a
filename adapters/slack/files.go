package slack

import (
	"bytes"
	"context"
	"fmt"

	slackgo "github.com/slack-go/slack"

	"github.com/tend-bot/tend/bot"
)

// uploadPrivate puts file f into the direct messages of user with the bot,
// where only they see it: Slack's private (ephemeral) replies cannot carry
// files. It uses Slack's upload flow (files.getUploadURLExternal, the
// upload, files.completeUploadExternal into the DM channel); each step is
// paced and retried on its own. A completion whose answer is lost and then
// retried may show the file twice, in that person's own DM only.
func (a *Adapter) uploadPrivate(ctx context.Context, user bot.UserID, f bot.File) error {
	if len(f.Data) == 0 || f.Name == "" {
		return bot.Rejected("slack: a file needs a name and content")
	}
	ch, err := a.openDM(ctx, user)
	if err != nil {
		return err
	}
	var up *slackgo.GetUploadURLExternalResponse
	if err := a.call(ctx, "", "files.getUploadURLExternal", nil, func() error {
		r, err := a.api.GetUploadURLExternalContext(ctx, slackgo.GetUploadURLExternalParameters{FileName: f.Name, FileSize: len(f.Data)})
		up = r
		return err
	}); err != nil {
		return a.refusal("", user, "files.getUploadURLExternal", err)
	}
	if err := a.call(ctx, "", "files upload", nil, func() error {
		return a.api.UploadToURL(ctx, slackgo.UploadToURLParameters{UploadURL: up.UploadURL, Reader: bytes.NewReader(f.Data), Filename: f.Name})
	}); err != nil {
		return fmt.Errorf("slack: upload %s: %w", f.Name, err)
	}
	if err := a.call(ctx, "", "files.completeUploadExternal", nil, func() error {
		_, err := a.api.CompleteUploadExternalContext(ctx, slackgo.CompleteUploadExternalParameters{
			Files: []slackgo.FileSummary{{ID: up.FileID, Title: f.Name}}, Channel: ch})
		return err
	}); err != nil {
		return a.refusal(ch, user, "files.completeUploadExternal", err)
	}
	return nil
}
