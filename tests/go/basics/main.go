// basics is a guest test: Go's runtime on Kiln (goroutines, channels,
// timers, several Ps, a recovered nil-pointer panic, os/exec failing
// cleanly). It prints one line per check, the same natively and in Kiln.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

var failed bool

func check(ok bool, what string) {
	if ok {
		fmt.Println("go:", what, "ok")
		return
	}
	fmt.Println("go: FAIL", what)
	failed = true
}

func goroutines() {
	var wg sync.WaitGroup
	ch := make(chan int, 64)
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			ch <- n
		}(i)
	}
	go func() { wg.Wait(); close(ch) }()
	sum := 0
	for v := range ch {
		sum += v
	}
	check(sum == 999*1000/2, "1000 goroutines over a channel with a WaitGroup")
}

func timers() {
	t0 := time.Now()
	time.Sleep(20 * time.Millisecond)
	slept := time.Since(t0)
	check(slept >= 20*time.Millisecond && slept < 2*time.Second, "time.Sleep 20ms")
	ticks := 0
	tk := time.NewTicker(5 * time.Millisecond)
	for range tk.C {
		ticks++
		if ticks == 5 {
			break
		}
	}
	tk.Stop()
	select {
	case <-time.After(10 * time.Millisecond):
		check(ticks == 5, "ticker 5 ticks, time.After fires")
	case <-time.After(5 * time.Second):
		check(false, "time.After fires")
	}
}

func parallel() {
	prev := runtime.GOMAXPROCS(4)
	var n int64
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 100000; j++ {
				atomic.AddInt64(&n, 1)
				if j%10000 == 0 {
					runtime.Gosched()
				}
			}
		}()
	}
	wg.Wait()
	runtime.GOMAXPROCS(prev)
	check(n == 800000, "GOMAXPROCS=4 with 8 busy goroutines")
}

type node struct{ next *node }

func nilDeref() (recovered bool) {
	defer func() {
		if r := recover(); r != nil {
			recovered = true
		}
	}()
	var p *node
	return p.next == nil // faults: the runtime's SIGSEGV handler makes it a panic
}

func noExec() {
	err := exec.Command("/bin/true").Run()
	check(err != nil || os.Getenv("KILN_NATIVE") == "1", "os/exec fails cleanly without fork")
}

func main() {
	goroutines()
	timers()
	parallel()
	check(nilDeref(), "nil-pointer dereference recovered as a panic")
	noExec()
	if failed {
		os.Exit(1)
	}
	fmt.Println("go: all checks passed")
}
