package discord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/tend-bot/tend/bot"
)

// direct sends one interaction callback or interaction webhook request
// without discordgo's rate-limit buckets. discordgo keys a bucket by URL and
// never forgets one; every interaction has its own token in the URL, so its
// buckets would grow without bound over months of running. These endpoints
// are exempt from the global limit and each token is used a few times, so no
// bucket is needed. Errors have discordgo's types, so that rest classifies
// them like any other.
func (a *Adapter) direct(opts []discordgo.RequestOption, method, u string, body any) ([]byte, error) {
	return a.directFile(opts, method, u, body, nil)
}

// directFile is direct with file f attached, when f is not nil: the body
// goes as multipart/form-data, its JSON in payload_json and the file as
// files[0], as Discord takes uploads.
func (a *Adapter) directFile(opts []discordgo.RequestOption, method, u string, body any, f *bot.File) ([]byte, error) {
	contentType := "application/json"
	var (
		b   []byte
		err error
	)
	if f != nil {
		contentType, b, err = discordgo.MultipartBodyWithJSON(body, []*discordgo.File{{Name: f.Name, ContentType: f.ContentType, Reader: bytes.NewReader(f.Data)}})
	} else {
		b, err = json.Marshal(body)
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s body: %w", method, err)
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("User-Agent", a.s.UserAgent)
	req.Header.Set("Authorization", a.s.Token)
	cfg := &discordgo.RequestConfig{Request: req, Client: a.s.Client}
	for _, o := range opts {
		o(cfg)
	}
	resp, err := cfg.Client.Do(cfg.Request)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return data, nil
	case resp.StatusCode == http.StatusTooManyRequests:
		var tmr discordgo.TooManyRequests
		if err := json.Unmarshal(data, &tmr); err != nil {
			return nil, fmt.Errorf("decode 429 from %s: %w", req.URL.Path, err)
		}
		return nil, &discordgo.RateLimitError{RateLimit: &discordgo.RateLimit{TooManyRequests: &tmr, URL: u}}
	}
	re := &discordgo.RESTError{Request: req, Response: resp, ResponseBody: data}
	var msg discordgo.APIErrorMessage
	if json.Unmarshal(data, &msg) == nil {
		re.Message = &msg
	}
	return nil, re
}
