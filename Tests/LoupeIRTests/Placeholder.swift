import XCTest

final class LoupeIRTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
