package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

func BenchmarkMemoryCreate(b *testing.B) {
	m := NewMemory(nil)
	ctx := context.Background()
	value := make([]byte, 64)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		_ = m.Create(ctx, "code/"+fmt.Sprint(i), value, time.Minute)
	}
}
