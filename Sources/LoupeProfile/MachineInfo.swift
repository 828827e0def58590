import Foundation
import LoupeKernels

/// The version of Loupe: what `loupe --version` prints and what profile and bench reports
/// record.
public enum LoupeVersion {
    /// Semantic version of this source tree.
    public static let current = "0.1.0"
}

/// What a measurement ran on and with: Loupe's version, the XNNPACK library the process
/// loaded, the CPU and the instruction sets Loupe's own kernels dispatch to. Recorded in
/// `loupe profile --json` and `loupe bench --json` so that numbers can be compared only
/// where they were made on the same thing, and printed by `loupe --version`.
///
/// Every field is best effort: what the OS does not say is `nil`, never guessed.
public struct MachineInfo: Codable, Sendable, Equatable {
    /// ``LoupeVersion/current``.
    public var loupeVersion: String
    /// The XNNPACK shared library mapped into this process (from /proc/self/maps).
    public var xnnpackLibrary: String?
    /// The Debian package that installed ``xnnpackLibrary`` and its version
    /// (`libxnnpack0 0.0~git20220216.ae108ef-2`), as dpkg-query reports it; nil when the
    /// library was not installed by dpkg (or dpkg-query is absent).
    public var xnnpackPackage: String?
    /// The CPU's model name (/proc/cpuinfo `model name`, or `Hardware`/`Model` on ARM).
    public var cpu: String?
    /// Logical CPUs this process may run on.
    public var logicalCPUs: Int
    /// The architecture the binary was built for (`x86_64`, `aarch64`).
    public var architecture: String
    /// The instruction set Loupe's float kernels dispatch to on this CPU (`avx512`, `avx2`,
    /// `neon`, `scalar`): the best one compiled in that the CPU supports.
    public var kernelISA: String
    /// The variant of the INT8 lookup-table kernel on this CPU (`avx512vbmi`, `avx2`, …).
    public var lookupISA: String
    /// SIMD features the CPU reports that matter to the kernels here and to XNNPACK's own
    /// microkernel choice (XNNPACK picks its microkernels from the CPU when it initializes;
    /// the 2022 library has no API saying which), in /proc/cpuinfo's spelling.
    public var cpuFeatures: [String]

    enum CodingKeys: String, CodingKey {
        case cpu, architecture
        case loupeVersion = "loupe_version", xnnpackLibrary = "xnnpack_library", xnnpackPackage = "xnnpack_package"
        case logicalCPUs = "logical_cpus", kernelISA = "kernel_isa", lookupISA = "lookup_isa", cpuFeatures = "cpu_features"
    }

    /// Features worth naming, in the order printed.
    static let interestingFeatures = [
        "sse2", "ssse3", "sse4_1", "sse4_2", "avx", "f16c", "fma", "avx2", "avx512f", "avx512bw", "avx512dq", "avx512vl",
        "avx512_vnni", "avx512vbmi", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile",
        "asimd", "fphp", "asimdhp", "asimddp", "i8mm", "bf16", "sve", "sve2",
    ]

    /// The machine this process runs on, read now. `dpkgQuery` runs `dpkg-query` with the
    /// given arguments and returns its standard output, or nil (tests pass their own).
    public static func current(dpkgQuery: ([String]) -> String? = MachineInfo.runDPKGQuery) -> MachineInfo {
        let cpuinfo = procFile("/proc/cpuinfo")
        let library = loadedLibrary(named: "libXNNPACK", maps: procFile("/proc/self/maps"))
        return MachineInfo(
            loupeVersion: LoupeVersion.current,
            xnnpackLibrary: library,
            xnnpackPackage: library.flatMap { package(owning: $0, dpkgQuery: dpkgQuery) },
            cpu: cpuModel(cpuinfo),
            logicalCPUs: ProcessInfo.processInfo.activeProcessorCount,
            architecture: Self.buildArchitecture,
            kernelISA: String(cString: loupe_isa_name(loupe_detect_isa())),
            lookupISA: Self.lookupName(loupe_x8_lut_best_isa()),
            cpuFeatures: features(cpuinfo))
    }

    #if arch(x86_64)
    static let buildArchitecture = "x86_64"
    #elseif arch(arm64)
    static let buildArchitecture = "aarch64"
    #else
    static let buildArchitecture = "other"
    #endif

    static func lookupName(_ isa: loupe_x8_lut_isa) -> String {
        switch isa {
        case loupe_x8_lut_scalar: return "scalar"
        case loupe_x8_lut_ssse3: return "ssse3"
        case loupe_x8_lut_avx2: return "avx2"
        case loupe_x8_lut_avx512vbmi: return "avx512vbmi"
        case loupe_x8_lut_neon: return "neon"
        default: return "unknown (\(isa.rawValue))"
        }
    }

    /// The path of the first mapping in `maps` (the text of /proc/self/maps) whose file name
    /// starts with `prefix`.
    static func loadedLibrary(named prefix: String, maps: String) -> String? {
        for line in maps.split(separator: "\n") {
            // address perms offset dev inode path: the path is the sixth field and may hold spaces.
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6 else { continue }
            let path = fields[5].trimmingCharacters(in: .whitespaces)
            if (path as NSString).lastPathComponent.hasPrefix(prefix) { return path }
        }
        return nil
    }

    /// The whole text of a /proc file. `String(contentsOfFile:)` stops after the first
    /// page there (the files report size 0), so the file is read to its end.
    static func procFile(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    /// "PACKAGE VERSION" of the dpkg package that installed `path`, or nil.
    static func package(owning path: String, dpkgQuery: ([String]) -> String?) -> String? {
        // With merged /usr the loader maps /lib/…, but dpkg lists the files under /usr/lib/…:
        // ask for the path as mapped, then with its links resolved.
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        // `dpkg-query -S` prints "libxnnpack0:amd64: /usr/lib/…" (the architecture only on
        // multi-arch systems); the package name is everything before the last ": ".
        guard let owner = dpkgQuery(["-S", path]) ?? (resolved != path ? dpkgQuery(["-S", resolved]) : nil),
              let line = owner.split(separator: "\n").first,
              let colon = line.range(of: ": ", options: .backwards) else { return nil }
        let name = String(line[..<colon.lowerBound])
        guard !name.contains(","), !name.isEmpty else { return nil }  // a diversion or several owners: do not guess
        guard let version = dpkgQuery(["-W", "-f=${Version}", name])?.trimmingCharacters(in: .whitespacesAndNewlines),
              !version.isEmpty else { return name }
        let bare = name.split(separator: ":").first.map(String.init) ?? name
        return "\(bare) \(version)"
    }

    /// Runs `/usr/bin/dpkg-query ARGS` and returns its standard output when it exits 0.
    public static func runDPKGQuery(_ arguments: [String]) -> String? {
        let exe = "/usr/bin/dpkg-query"
        guard FileManager.default.isExecutableFile(atPath: exe) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    /// The first value of `key` in /proc/cpuinfo's text.
    static func cpuinfoValue(_ cpuinfo: String, _ key: String) -> String? {
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == key else { continue }
            let v = parts[1].trimmingCharacters(in: .whitespaces)
            if !v.isEmpty { return v }
        }
        return nil
    }

    static func cpuModel(_ cpuinfo: String) -> String? {
        cpuinfoValue(cpuinfo, "model name") ?? cpuinfoValue(cpuinfo, "Hardware") ?? cpuinfoValue(cpuinfo, "Model")
    }

    /// The interesting features among /proc/cpuinfo's `flags` (x86) or `Features` (ARM).
    static func features(_ cpuinfo: String) -> [String] {
        let listed = Set((cpuinfoValue(cpuinfo, "flags") ?? cpuinfoValue(cpuinfo, "Features") ?? "").split(separator: " ").map(String.init))
        return interestingFeatures.filter(listed.contains)
    }

    /// The lines `loupe --version` prints after the first.
    public var lines: [String] {
        [
            "XNNPACK: " + (xnnpackPackage.map { "\($0) (Debian package)" } ?? "package version unknown")
                + (xnnpackLibrary.map { ", \($0)" } ?? ", library not loaded"),
            "CPU: \(cpu ?? "unknown model"), \(logicalCPUs) logical CPU(s), \(architecture)",
            "Loupe kernels: \(kernelISA) (INT8 lookup tables: \(lookupISA)); XNNPACK chooses its own microkernels from the CPU",
            "CPU features: " + (cpuFeatures.isEmpty ? "none reported" : cpuFeatures.joined(separator: " ")),
        ]
    }
}
