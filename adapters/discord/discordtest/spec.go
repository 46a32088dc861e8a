package discordtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specServer is the base URL the spec declares; requests are mapped onto it
// (the fake serves /api/v9, the spec describes /api/v10 with the same paths).
const specServer = "https://discord.com/api/v10"

var spec struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// specPath is testdata/discord-openapi.json beside this file, so that the
// spec is found from any test binary's working directory.
func specPath() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "discord-openapi.json")
	}
	return filepath.Join(filepath.Dir(file), "testdata", "discord-openapi.json")
}

// loadSpec loads Discord's OpenAPI document once per test binary: it is over
// a megabyte, and every fake shares it.
func loadSpec() (routers.Router, error) {
	spec.once.Do(func() {
		b, err := os.ReadFile(specPath())
		if err != nil {
			spec.err = fmt.Errorf("read discord openapi spec: %w", err)
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(b)
		if err != nil {
			spec.err = fmt.Errorf("load discord openapi spec: %w", err)
			return
		}
		doc.Servers = openapi3.Servers{{URL: specServer}}
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			spec.err = fmt.Errorf("route discord openapi spec: %w", err)
			return
		}
		spec.doc, spec.router = doc, r
	})
	return spec.router, spec.err
}

// validateRequest checks r (a request to the fake, path under /api/v9)
// against Discord's published contract: path, method, parameters, body
// schema and the bot token header. body is r's body, already read.
func validateRequest(ctx context.Context, r *http.Request, body []byte) error {
	router, err := loadSpec()
	if err != nil {
		return err
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/api/v9")
	if !ok {
		return fmt.Errorf("%s %s: not under /api/v9", r.Method, r.URL.Path)
	}
	u, err := url.Parse(specServer + path)
	if err != nil {
		return err
	}
	u.RawQuery = r.URL.RawQuery
	req := r.Clone(ctx)
	req.URL = u
	req.Host = u.Host
	req.RequestURI = ""
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%s %s: no such route in Discord's API: %w", r.Method, path, err)
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError: true,
			AuthenticationFunc: func(_ context.Context, ai *openapi3filter.AuthenticationInput) error {
				if ai.SecuritySchemeName != "BotToken" {
					return errors.New("only bot token authentication is used")
				}
				if !strings.HasPrefix(ai.RequestValidationInput.Request.Header.Get("Authorization"), "Bot ") {
					return errors.New(`the Authorization header must be "Bot <token>"`)
				}
				return nil
			},
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return fmt.Errorf("%s %s: %w", r.Method, path, err)
	}
	return nil
}
