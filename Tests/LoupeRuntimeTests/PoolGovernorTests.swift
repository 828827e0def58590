import XCTest
@testable import LoupeRuntime

/// `PoolGovernor`: pooled runs whose threads were kept off the CPU send the next runs to
/// the caller's thread, with probes of the pool at doubling intervals.
final class PoolGovernorTests: XCTestCase {
    func serialRuns(_ g: PoolGovernor) -> Int {
        var n = 0
        while !g.begin() { n += 1; g.finish(usedPool: false) }
        return n
    }

    func testRunsLeaveThePoolWhileItsThreadsAreOffTheCPUAndProbeIt() {
        let g = PoolGovernor(threads: 2, enabled: true)
        let lanes = g.lanes
        XCTAssertTrue(g.begin())
        g.record(cpu: 0.5 * lanes, wall: 1)       // half the threads' time off the CPU
        XCTAssertEqual(serialRuns(g), PoolGovernor.firstWait)
        g.record(cpu: 0.6 * lanes, wall: 1)       // the probe: still preempted, a longer wait
        XCTAssertEqual(serialRuns(g), 2 * PoolGovernor.firstWait)
        g.record(cpu: 0.99 * lanes, wall: 1)      // the core is free again
        XCTAssertTrue(g.begin())
        g.record(cpu: 0.99 * lanes, wall: 1)
        XCTAssertTrue(g.begin())
        g.record(cpu: 0.1 * lanes, wall: 1)       // preempted again: the wait starts over
        XCTAssertEqual(serialRuns(g), PoolGovernor.firstWait)
        XCTAssertEqual(g.runsWithoutPool, 4 * PoolGovernor.firstWait)
        for _ in 0..<8 { g.record(cpu: 0.01, wall: 1); _ = serialRuns(g) }
        g.record(cpu: 0.01, wall: 1)
        XCTAssertEqual(serialRuns(g), PoolGovernor.longestWait)
    }

    /// The measurement itself: a run that sleeps is off the CPU.
    func testASleepingRunIsSeenOffTheCPU() {
        let g = PoolGovernor(threads: 2, enabled: true)
        XCTAssertTrue(g.begin())
        usleep(20_000)
        g.finish(usedPool: true)
        XCTAssertFalse(g.begin())
    }

    func testOneThreadOrSwitchedOffAlwaysUsesThePool() {
        for g in [PoolGovernor(threads: 1), PoolGovernor(threads: 4, enabled: false)] {
            XCTAssertTrue(g.begin())
            g.finish(usedPool: true)
            usleep(1000)
            XCTAssertTrue(g.begin())
            XCTAssertEqual(g.runsWithoutPool, 0)
        }
    }
}
