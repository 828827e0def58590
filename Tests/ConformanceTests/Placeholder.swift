import XCTest

final class ConformanceTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
