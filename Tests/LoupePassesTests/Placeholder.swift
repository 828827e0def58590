import XCTest

final class LoupePassesTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
