import XCTest
@testable import LoupeRuntime

/// `PoolGovernor`: a pooled run whose threads were off the CPU prompts a run on the caller's
/// thread alone; the faster mode stays, the other is tried again at doubling intervals.
final class PoolGovernorTests: XCTestCase {
    /// Feeds runs to `g`, each taking `pooledWall` or `aloneWall` (and, pooled, `cpuShare` of
    /// the lanes' time), and returns the modes chosen (true: pooled).
    func drive(_ g: PoolGovernor, runs: Int, pooledWall: Double, aloneWall: Double, cpuShare: Double) -> [Bool] {
        (0..<runs).map { _ in
            let pooled = g.begin()
            let wall = pooled ? pooledWall : aloneWall
            g.record(pooled: pooled, cpu: pooled ? cpuShare * g.lanes * wall : wall, wall: wall)
            return pooled
        }
    }

    /// Where the runs went alone.
    func aloneRuns(_ modes: [Bool]) -> [Int] { modes.enumerated().filter { !$0.element }.map(\.offset) }

    func testQuietPooledRunsNeverLeaveThePool() {
        let g = PoolGovernor(threads: 2, enabled: true)
        XCTAssertEqual(aloneRuns(drive(g, runs: 200, pooledWall: 1, aloneWall: 1.8, cpuShare: 0.99)), [])
        XCTAssertEqual(g.runsWithoutPool, 0)
    }

    /// A core kept busy: pooled runs are off the CPU and slower than runs alone. The first
    /// such run prompts a try alone, which wins; the pool is tried again after 9 runs alone,
    /// then 9, 17, 33, 65 while it keeps losing; when the core is free again its try wins
    /// back.
    func testBusyCoreLeavesThePoolAndFreeCoreReturns() {
        let g = PoolGovernor(threads: 2, enabled: true)
        let busy = drive(g, runs: 200, pooledWall: 1.12, aloneWall: 1.0, cpuShare: 0.55)
        let pooled = busy.enumerated().filter(\.element).map(\.offset)
        // Runs 0 and 1 pooled (the sign, from the second on), run 2 the try alone (wins), 9
        // alone, then pooled tries.
        XCTAssertEqual(pooled, [0, 1, 12, 22, 40, 74, 140], "\(pooled)")
        // The core frees: the next try of the pool (within 64 runs) wins, and the pool stays.
        let free = drive(g, runs: 150, pooledWall: 0.6, aloneWall: 1.0, cpuShare: 0.99)
        let back = try? XCTUnwrap(free.firstIndex(of: true))
        XCTAssertNotNil(back)
        XCTAssertLessThanOrEqual(back ?? 99, 64)
        XCTAssertTrue(free[(back ?? 0)...].allSatisfy { $0 }, "stays pooled once back")
    }

    /// A small model whose pooled runs show the sign on a quiet machine (workers asleep between
    /// steps too small to split) but are still faster than runs alone: the pool stays, and
    /// the tries alone thin out (after 9, 17, 33, then 65 pooled runs).
    func testSignWithoutGainKeepsThePool() {
        let g = PoolGovernor(threads: 2, enabled: true)
        let modes = drive(g, runs: 300, pooledWall: 1.0, aloneWall: 1.6, cpuShare: 0.6)
        XCTAssertEqual(aloneRuns(modes), [2, 12, 30, 64, 130, 196, 262], "\(aloneRuns(modes))")
    }

    /// A slow first run (warm-up) or one slow pooled run among fast ones does not make a
    /// run alone look faster: the try must beat the best of the recent pooled runs.
    func testOneSlowPooledRunDoesNotSendTheRunsAlone() {
        let g = PoolGovernor(threads: 2, enabled: true)
        var walls: [Double] = [5.0, 1.0, 1.0, 3.0] + [Double](repeating: 1.0, count: 100)
        var modes: [Bool] = []
        while !walls.isEmpty {
            let pooled = g.begin()
            let wall = pooled ? walls.removeFirst() : 1.3
            g.record(pooled: pooled, cpu: pooled ? 0.6 * g.lanes * wall : wall, wall: wall)
            modes.append(pooled)
        }
        let alone = aloneRuns(modes)
        XCTAssertEqual(alone.count, 4, "tries only: \(alone)")
        XCTAssertTrue(zip(alone, alone.dropFirst()).allSatisfy { $1 - $0 > 8 }, "each try alone by itself: \(alone)")
    }

    /// The measurement itself: a pooled run that sleeps is off the CPU, so the next run tries
    /// the caller's thread alone (from the second pooled run on).
    func testASleepingRunIsSeenOffTheCPU() {
        let g = PoolGovernor(threads: 2, enabled: true)
        for _ in 0..<2 {
            XCTAssertTrue(g.begin())
            usleep(20_000)
            g.finish(usedPool: true)
        }
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
