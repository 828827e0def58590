import ArgumentParser
import Foundation
import LoupeProfile

/// `--progress` / `--no-progress` of the verbs that time a model (profile, bench).
struct ProgressOptions: ParsableArguments {
    @Flag(inversion: .prefixedNo, help: ArgumentHelp(
        "Show the stage and runs done on stderr (default: only when stderr is a terminal; forced on, a log gets a line per stage and every 10 s)."))
    var progress: Bool?

    func make(_ command: String) -> RunProgress { RunProgress(command: command, requested: progress) }
}

/// Progress of a profile or benchmark on stderr, the way benchmark tools show it: a line
/// redrawn in place on a terminal (cleared when done, so the results stand alone); with
/// `--progress` and no terminal, plain lines (one when a stage starts, then one every 10 s)
/// that a log keeps; nothing by default when stderr is not a terminal.
final class RunProgress: @unchecked Sendable {
    enum Mode { case off, redraw, lines }

    let command: String
    let mode: Mode
    private let lock = NSLock()
    private var stage = ""
    private var stageStart: UInt64 = 0
    private var lastPrint: UInt64 = 0
    private var lineShown = false

    init(command: String, requested: Bool?) {
        self.command = command
        let terminal = isatty(2) != 0
        switch requested {
        case .none: mode = terminal ? .redraw : .off
        case .some(false): mode = .off
        case .some(true): mode = terminal ? .redraw : .lines
        }
    }

    /// A callback for `Profiler.Options.progress`.
    var callback: (@Sendable (Profiler.Progress) -> Void)? {
        guard mode != .off else { return nil }
        return { [self] progress in self.update(progress) }
    }

    func update(_ p: Profiler.Progress) {
        guard mode != .off else { return }
        lock.lock()
        defer { lock.unlock() }
        let now = DispatchTime.now().uptimeNanoseconds
        let newStage = p.stage != stage
        if newStage {
            stage = p.stage
            stageStart = now
        }
        let interval: UInt64 = mode == .redraw ? 100_000_000 : 10_000_000_000
        guard newStage || now - lastPrint >= interval else { return }
        lastPrint = now
        var text = "\(command): \(p.stage)"
        if p.total > 0 {
            text += " \(p.done)/\(p.total)"
            if p.done > 0 {
                let perRun = Double(now - stageStart) / 1e9 / Double(p.done)
                text += String(format: ", %.1f ms/run, ETA ", perRun * 1e3) + Progress.duration(perRun * Double(p.total - p.done))
            }
        } else {
            text += "…"
        }
        var stderr = StandardError()
        if mode == .redraw {
            print("\r\u{1B}[K" + text, terminator: "", to: &stderr)
            lineShown = true
        } else {
            print(text, to: &stderr)
        }
    }

    /// Clears the redrawn line before results are printed.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard mode == .redraw && lineShown else { return }
        var stderr = StandardError()
        print("\r\u{1B}[K", terminator: "", to: &stderr)
        lineShown = false
    }
}
