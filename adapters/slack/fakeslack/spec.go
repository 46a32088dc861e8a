package fakeslack

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// specJSON is Slack's published OpenAPI 2 description of the Web API
// (slackapi/slack-api-specs, MIT; see testdata/LICENSE).
//
//go:embed testdata/slack-web-openapi-v2.json
var specJSON []byte

// specValidator checks Web API requests against Slack's spec.
type specValidator struct {
	doc *openapi3.T
}

var (
	specOnce sync.Once
	specDoc  *openapi3.T
	specErr  error
)

// loadSpec parses the spec once per test binary.
func loadSpec() (*specValidator, error) {
	specOnce.Do(func() {
		var raw any
		if err := json.Unmarshal(specJSON, &raw); err != nil {
			specErr = fmt.Errorf("parse: %w", err)
			return
		}
		fixTupleItems(raw)
		norm, err := json.Marshal(raw)
		if err != nil {
			specErr = err
			return
		}
		var doc2 openapi2.T
		if err := json.Unmarshal(norm, &doc2); err != nil {
			specErr = fmt.Errorf("parse: %w", err)
			return
		}
		if err := extendSpec(&doc2); err != nil {
			specErr = err
			return
		}
		specDoc, specErr = openapi2conv.ToV3(&doc2)
	})
	if specErr != nil {
		return nil, specErr
	}
	return &specValidator{doc: specDoc}, nil
}

// fixTupleItems rewrites the draft-4 tuple form "items": [a, b] that
// Slack's document uses in 28 places, all in response object definitions,
// which kin-openapi cannot parse, as "items": {"anyOf": [a, b]}. Request
// parameters, which are what the fake validates, are untouched.
func fixTupleItems(v any) {
	switch o := v.(type) {
	case map[string]any:
		for k, c := range o {
			if list, ok := c.([]any); ok && k == "items" {
				o[k] = map[string]any{"anyOf": list}
			}
			fixTupleItems(o[k])
		}
	case []any:
		for _, c := range o {
			fixTupleItems(c)
		}
	}
}

func typ(t string) *openapi3.Types { return &openapi3.Types{t} }

// extendSpec adds to the 2021 document what Slack's Web API has gained
// since, and nothing else. Each addition is minimal and documented by
// Slack; validation of everything else is unchanged.
func extendSpec(doc *openapi2.T) error {
	post := func(path string) (*openapi2.Operation, error) {
		item := doc.Paths[path]
		if item == nil || item.Post == nil && item.Get == nil {
			return nil, fmt.Errorf("spec has no %s", path)
		}
		if item.Post != nil {
			return item.Post, nil
		}
		return item.Get, nil
	}
	// Message metadata (2022): chat.postMessage takes a JSON "metadata"
	// argument (https://docs.slack.dev/reference/methods/chat.postMessage).
	op, err := post("/chat.postMessage")
	if err != nil {
		return err
	}
	op.Parameters = append(op.Parameters, &openapi2.Parameter{In: "formData", Name: "metadata", Type: typ("string")})
	// ...and conversations.history returns it when asked with
	// include_all_metadata (https://docs.slack.dev/reference/methods/conversations.history).
	op, err = post("/conversations.history")
	if err != nil {
		return err
	}
	op.Parameters = append(op.Parameters, &openapi2.Parameter{In: "query", Name: "include_all_metadata", Type: typ("boolean")})
	// Socket Mode (2021, after this snapshot): apps.connections.open takes
	// only an app-level token (https://docs.slack.dev/reference/methods/apps.connections.open).
	if doc.Paths["/apps.connections.open"] == nil {
		doc.Paths["/apps.connections.open"] = &openapi2.PathItem{Post: &openapi2.Operation{
			OperationID: "apps_connections_open",
			Consumes:    []string{"application/x-www-form-urlencoded", "application/json"},
			Parameters:  openapi2.Parameters{{In: "header", Name: "token", Type: typ("string"), Required: true}},
			Responses:   doc.Paths["/auth.test"].Get.Responses,
		}}
	}
	// Uploading files (2024; files.upload is retired): files.getUploadURLExternal
	// takes a file's name and length in bytes and answers with an upload
	// URL and a file id; files.completeUploadExternal shares the uploaded
	// files (a JSON array of {id, title}) into a channel
	// (https://docs.slack.dev/messaging/working-with-files#uploading_files).
	form := func(id string, params ...*openapi2.Parameter) *openapi2.PathItem {
		return &openapi2.PathItem{Post: &openapi2.Operation{
			OperationID: id,
			Consumes:    []string{"application/x-www-form-urlencoded", "multipart/form-data"},
			Parameters:  append(openapi2.Parameters{{In: "header", Name: "token", Type: typ("string"), Required: true}}, params...),
			Responses:   doc.Paths["/auth.test"].Get.Responses,
		}}
	}
	if doc.Paths["/files.getUploadURLExternal"] == nil {
		doc.Paths["/files.getUploadURLExternal"] = form("files_getUploadURLExternal",
			&openapi2.Parameter{In: "formData", Name: "filename", Type: typ("string"), Required: true},
			&openapi2.Parameter{In: "formData", Name: "length", Type: typ("integer"), Required: true},
			&openapi2.Parameter{In: "formData", Name: "alt_txt", Type: typ("string")},
			&openapi2.Parameter{In: "formData", Name: "snippet_type", Type: typ("string")})
	}
	if doc.Paths["/files.completeUploadExternal"] == nil {
		doc.Paths["/files.completeUploadExternal"] = form("files_completeUploadExternal",
			&openapi2.Parameter{In: "formData", Name: "files", Type: typ("string"), Required: true},
			&openapi2.Parameter{In: "formData", Name: "channel_id", Type: typ("string")},
			&openapi2.Parameter{In: "formData", Name: "channels", Type: typ("string")},
			&openapi2.Parameter{In: "formData", Name: "initial_comment", Type: typ("string")},
			&openapi2.Parameter{In: "formData", Name: "thread_ts", Type: typ("string")},
			&openapi2.Parameter{In: "formData", Name: "blocks", Type: typ("string")})
	}
	return nil
}

// validate checks one Web API call. Slack reads a method's arguments from
// the query string, a form body or a JSON body alike, and the token from
// the Authorization header or a token argument, whatever HTTP method is
// used; the spec declares one place for each. So the call is first put in
// the shape the spec declares, then validated with openapi3filter, and
// arguments the spec does not declare for the method are refused too.
func (v *specValidator) validate(method string, params map[string]string, token string) error {
	path := "/" + method
	item := v.doc.Paths.Value(path)
	if item == nil {
		return fmt.Errorf("%s is not a method in Slack's Web API spec", method)
	}
	httpMethod, op := http.MethodPost, item.Post
	if op == nil {
		httpMethod, op = http.MethodGet, item.Get
	}
	if op == nil {
		return fmt.Errorf("%s has no operation in the spec", method)
	}

	declared := map[string]*openapi3.Schema{}
	query, header := url.Values{}, http.Header{}
	where := map[string]string{}
	for _, pr := range op.Parameters {
		p := pr.Value
		var sch *openapi3.Schema
		if p.Schema != nil {
			sch = p.Schema.Value
		}
		declared[p.Name] = sch
		where[p.Name] = p.In
	}
	var formSchema *openapi3.Schema
	var formType string
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for ct, mt := range op.RequestBody.Value.Content {
			if strings.HasPrefix(ct, "application/x-www-form-urlencoded") && mt.Schema != nil {
				formSchema, formType = mt.Schema.Value, ct
			}
		}
		if formSchema != nil {
			for name, pr := range formSchema.Properties {
				declared[name] = pr.Value
				where[name] = "formData"
			}
		}
	}

	var unknown []string
	form := url.Values{}
	put := func(name, val string) {
		if sch := declared[name]; sch != nil && sch.Type.Is("boolean") {
			// Slack reads 1 and 0 as booleans, as its docs say.
			switch val {
			case "1":
				val = "true"
			case "0":
				val = "false"
			}
		}
		switch where[name] {
		case "header":
			header.Set(name, val)
		case "query":
			query.Set(name, val)
		case "formData":
			form.Set(name, val)
		default:
			unknown = append(unknown, name)
		}
	}
	if token != "" {
		put("token", token)
	}
	for k, val := range params {
		put(k, val)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("arguments not in the spec for %s: %s", method, strings.Join(unknown, ", "))
	}

	u := &url.URL{Scheme: "https", Host: "slack.com", Path: "/api" + path, RawQuery: query.Encode()}
	req, err := http.NewRequest(httpMethod, u.String(), nil)
	if err != nil {
		return err
	}
	req.Header = header
	if formSchema != nil {
		body := form.Encode()
		req.Body = http.NoBody
		if body != "" || len(formSchema.Required) > 0 {
			req, err = http.NewRequest(httpMethod, u.String(), strings.NewReader(body))
			if err != nil {
				return err
			}
			req.Header = header
			req.Header.Set("Content-Type", formType)
		}
	}
	err = openapi3filter.ValidateRequest(context.Background(), &openapi3filter.RequestValidationInput{
		Request: req,
		Route:   &routers.Route{Spec: v.doc, Path: path, PathItem: item, Method: httpMethod, Operation: op},
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	})
	if err != nil {
		var me openapi3.MultiError
		if errors.As(err, &me) {
			var msgs []string
			for _, e := range me {
				msgs = append(msgs, e.Error())
			}
			return errors.New(strings.Join(msgs, "; "))
		}
		return err
	}
	return nil
}
