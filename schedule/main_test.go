package schedule

import (
	"testing"

	"github.com/tend-bot/tend/internal/fuzztest"
)

func TestMain(m *testing.M) { fuzztest.Main(m) }
