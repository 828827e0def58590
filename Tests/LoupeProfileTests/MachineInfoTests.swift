import Foundation
import XCTest
import LoupeTestSupport
@testable import LoupeProfile

/// What a report says it ran on, and `loupe --version`.
final class MachineInfoTests: XCTestCase {
    func testLoadedLibraryIsReadFromTheMaps() {
        let maps = """
        7f1c2a000000-7f1c2a021000 r--p 00000000 08:01 1234 /usr/lib/x86_64-linux-gnu/libc.so.6
        7f1c2b000000-7f1c2b0e0000 r-xp 00010000 08:01 5678 /usr/lib/x86_64-linux-gnu/libXNNPACK.so.0
        7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0 [stack]
        """
        XCTAssertEqual(MachineInfo.loadedLibrary(named: "libXNNPACK", maps: maps), "/usr/lib/x86_64-linux-gnu/libXNNPACK.so.0")
        XCTAssertNil(MachineInfo.loadedLibrary(named: "libXNNPACK", maps: "7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0 [stack]"))
    }

    func testPackageOwningTheLibraryWithAndWithoutArchitecture() {
        func query(owner: String?) -> ([String]) -> String? {
            { args in
                if args.first == "-S" { return owner }
                XCTAssertEqual(args.prefix(2), ["-W", "-f=${Version}"])
                return "0.0~git20220216.ae108ef-2"
            }
        }
        let lib = "/usr/lib/x86_64-linux-gnu/libXNNPACK.so.0"
        XCTAssertEqual(MachineInfo.package(owning: lib, dpkgQuery: query(owner: "libxnnpack0:amd64: \(lib)\n")),
                       "libxnnpack0 0.0~git20220216.ae108ef-2")
        XCTAssertEqual(MachineInfo.package(owning: lib, dpkgQuery: query(owner: "libxnnpack0: \(lib)\n")),
                       "libxnnpack0 0.0~git20220216.ae108ef-2")
        // Not installed by dpkg (built from source into /usr/local): no version is claimed.
        XCTAssertNil(MachineInfo.package(owning: "/usr/local/lib/libXNNPACK.so", dpkgQuery: query(owner: nil)))
    }

    func testCPUModelAndFeaturesOfX86AndARM() {
        let x86 = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx2 fma avx512f avx512_vnni avx512vbmi\n"
        XCTAssertEqual(MachineInfo.cpuModel(x86), "AMD EPYC")
        XCTAssertEqual(MachineInfo.features(x86), ["sse2", "fma", "avx2", "avx512f", "avx512_vnni", "avx512vbmi"])
        let arm = "processor\t: 0\nFeatures\t: fp asimd evtstrm asimddp i8mm\nCPU part\t: 0xd0b\n\nHardware\t: Rockchip RK3588\n"
        XCTAssertEqual(MachineInfo.cpuModel(arm), "Rockchip RK3588")
        XCTAssertEqual(MachineInfo.features(arm), ["asimd", "asimddp", "i8mm"])
    }

    /// `loupe --version`: the version, the XNNPACK package as dpkg reports it here, the CPU
    /// and the kernels' ISA.
    func testVersionFlag() throws {
        let r = try Subprocess.loupe(["--version"])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "loupe \(LoupeVersion.current)")
        let expected = MachineInfo.current()
        XCTAssertTrue(lines.contains { $0.hasPrefix("XNNPACK: ") && $0.contains("libXNNPACK") }, r.out)
        if let package = expected.xnnpackPackage {
            XCTAssertTrue(r.out.contains(package), r.out)
        }
        XCTAssertTrue(lines.contains { $0.hasPrefix("Loupe kernels: \(expected.kernelISA) ") }, r.out)
        XCTAssertTrue(lines.contains { $0.hasPrefix("CPU: ") }, r.out)
        // Without a verb or --version: the help, as before.
        let help = try Subprocess.loupe([])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.out.contains("SUBCOMMANDS"), help.out)
    }
}
