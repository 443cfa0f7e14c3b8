package password

import (
	"runtime"
	"testing"
	"time"
)

func TestSemaphoreSize(t *testing.T) {
	if got, want := cap(sem), max(2, runtime.NumCPU()); got != want {
		t.Errorf("cap(sem) = %d, want %d", got, want)
	}
}

// TestSemaphoreBlocks checks that hashing waits while every slot is taken.
func TestSemaphoreBlocks(t *testing.T) {
	for range cap(sem) {
		sem <- struct{}{}
	}
	done := make(chan error, 1)
	go func() {
		_, err := Hash("queued", Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
		done <- err
	}()
	select {
	case <-done:
		t.Fatal("Hash ran while the semaphore was full")
	case <-time.After(50 * time.Millisecond):
	}
	for range cap(sem) {
		<-sem
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Hash did not run after the semaphore was released")
	}
}
