package main

import (
	"context"
	"net/http"
)

func contextWith(r *http.Request, d decision) context.Context {
	return context.WithValue(r.Context(), verdictKey{}, d)
}
