import XCTest

final class LoupeImagingTestsPlaceholder: XCTestCase {
    func testBuilds() {}
}
